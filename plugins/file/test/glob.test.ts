import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { expandGlob, flumeRegexToGlob, globBase } from '../src/glob.js';

describe('file group globs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-glob-'));
  before(() => {
    for (const sub of ['a', 'b', 'c']) mkdirSync(path.join(dir, sub));
    for (const file of ['a/x.log', 'a/x.log.1', 'a/.hidden.log', 'b/y.log', 'b/y.txt', 'c/z.log', 'a/w1.log', 'a/w2.log']) {
      writeFileSync(path.join(dir, file), '');
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const rel = (files: string[]): string[] => files.map((f) => path.relative(dir, f));

  it('matches *, ?, [..], {a,b} and wildcard directories, never hidden files, sorted', async () => {
    expect(rel(await expandGlob(`${dir}/a/*.log`))).to.deep.equal(['a/w1.log', 'a/w2.log', 'a/x.log']);
    expect(rel(await expandGlob(`${dir}/a/x.log*`))).to.deep.equal(['a/x.log', 'a/x.log.1']);
    expect(rel(await expandGlob(`${dir}/a/w?.log`))).to.deep.equal(['a/w1.log', 'a/w2.log']);
    expect(rel(await expandGlob(`${dir}/a/w[!1].log`))).to.deep.equal(['a/w2.log']);
    expect(rel(await expandGlob(`${dir}/{a,b}/[xy].log`))).to.deep.equal(['a/x.log', 'b/y.log']);
    expect(rel(await expandGlob(`${dir}/*/*.log`))).to.deep.equal(['a/w1.log', 'a/w2.log', 'a/x.log', 'b/y.log', 'c/z.log']);
    expect(rel(await expandGlob(`${dir}/a/.hidden.log`))).to.deep.equal(['a/.hidden.log']);
    expect(await expandGlob(`${dir}/missing/*.log`)).to.deep.equal([]);
  });

  it('watches the deepest directory without wildcards', () => {
    expect(globBase('/var/log/app/*.log')).to.equal('/var/log/app');
    expect(globBase('/var/log/*/app.log')).to.equal('/var/log');
  });

  it('translates Flume file-name regexes into globs', () => {
    expect(flumeRegexToGlob('/var/log/test2/.*log.*')).to.equal('/var/log/test2/*log*');
    expect(flumeRegexToGlob('/var/log/app\\.log')).to.equal('/var/log/app.log');
    expect(flumeRegexToGlob('/var/log/^app.+$')).to.equal('/var/log/app?*');
  });
});
