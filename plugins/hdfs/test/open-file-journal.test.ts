import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { OpenFileJournal } from '../src/open-file-journal.js';

describe('OpenFileJournal', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-journal-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the files opened and never closed, across instances (a restart)', async () => {
    const journal = new OpenFileJournal(dir);
    await journal.reset([]);
    await journal.opened('/a.tmp');
    await journal.opened('/b.tmp');
    await journal.closed('/a.tmp');
    expect(await new OpenFileJournal(dir).openFiles()).to.deep.equal(['/b.tmp']);
  });

  it('compacts itself once closed records dominate', async () => {
    const journal = new OpenFileJournal(dir);
    await journal.reset([]);
    await journal.opened('/keep.tmp');
    for (let i = 0; i < 700; i++) {
      await journal.opened(`/f${i}.tmp`);
      await journal.closed(`/f${i}.tmp`);
    }
    const lines = readFileSync(path.join(dir, 'open-files.journal'), 'utf8').split('\n').filter(Boolean);
    expect(lines.length).to.be.below(1000);
    expect(await new OpenFileJournal(dir).openFiles()).to.deep.equal(['/keep.tmp']);
  });
});
