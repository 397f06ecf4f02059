import { copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MetricGroup, silentLogger } from '@sluice/core';
import { FileTracker } from '../src/file-tracker.js';
import type { TailedFile } from '../src/tailed-file.js';

const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(7, '0')}\n`).join('');

/** What the taildir source does with a followed file in one cycle: notice truncation, read all, commit all. */
async function readAll(tracker: FileTracker, file: TailedFile): Promise<string[]> {
  if ((await file.check()) === 'truncated') tracker.truncated(file, Date.now());
  while ((await file.readMore(65536)) > 0);
  const records = file.reader.take(100000);
  if (records.length > 0) file.commitPos = records[records.length - 1]!.end;
  return records.map((r) => r.body.toString());
}

function followed(tracker: FileTracker, name: string): TailedFile | undefined {
  return [...tracker.files.values()].find((f) => path.basename(f.path) === name);
}

describe('taildir file tracker: copytruncate copies', () => {
  let dir: string;
  let tracker: FileTracker;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-tracker-'));
    tracker = new FileTracker({
      filegroups: { app: path.join(dir, 'app.log*') }, skipToEnd: false, positionFile: path.join(dir, 'positions.json'),
      readerOptions: { maxLineLength: 65536, overflow: 'split' }, logger: silentLogger, metrics: new MetricGroup('SOURCE', 'tail'),
    });
  });
  afterEach(async () => {
    for (const file of tracker.files.values()) await file.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads nothing twice when two rotations copy content the source reads only after the first (copy, truncate, copy, truncate)', async () => {
    const log = path.join(dir, 'app.log');
    writeFileSync(log, lines(0, 40));
    await tracker.scan(true);
    const original = followed(tracker, 'app.log')!;
    const delivered = await readAll(tracker, original);
    // Rotation 1: copy, truncate; the application goes on writing.
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, lines(40, 70));
    // Rotation 2 before the source looks again: only its copy is made yet.
    renameSync(`${log}.1`, `${log}.2`);
    copyFileSync(log, `${log}.1`);
    await tracker.scan(false);
    // app.log.1 holds lines the source has not read from app.log yet: not a new file to read from 0.
    expect(followed(tracker, 'app.log.1'), 'the second copy is not followed before its original is truncated').to.equal(undefined);
    delivered.push(...(await readAll(tracker, original)));
    truncateSync(log, 0);
    appendFileSync(log, lines(70, 80));
    delivered.push(...(await readAll(tracker, original)));
    await tracker.scan(false);
    for (const name of ['app.log.1', 'app.log.2']) {
      const copy = followed(tracker, name);
      expect(copy, `${name} is followed once its original was truncated`).not.to.equal(undefined);
      delivered.push(...(await readAll(tracker, copy!)));
    }
    delivered.push(...(await readAll(tracker, original)));
    expect(delivered).to.deep.equal(lines(0, 80).trimEnd().split('\n'));
  });

  it('still reads a new file from 0 when no followed file ever held its first bytes', async () => {
    const log = path.join(dir, 'app.log');
    writeFileSync(log, lines(0, 10));
    await tracker.scan(true);
    await readAll(tracker, followed(tracker, 'app.log')!);
    writeFileSync(`${log}.other`, lines(500, 510));
    await tracker.scan(false);
    const other = followed(tracker, 'app.log.other');
    expect(other).not.to.equal(undefined);
    expect(await readAll(tracker, other!)).to.deep.equal(lines(500, 510).trimEnd().split('\n'));
  });
});
