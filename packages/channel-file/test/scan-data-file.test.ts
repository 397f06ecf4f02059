import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createEvent } from '@sluice/core';
import { encodeBatch } from '../src/batch-codec.js';
import { scanDataFile, type DataFileScan } from '../src/scan-data-file.js';

describe('scanDataFile', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-scan-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function scan(bytes: Buffer): DataFileScan {
    const file = path.join(dir, 'data-1');
    writeFileSync(file, bytes);
    const fd = openSync(file, 'r');
    try {
      return scanDataFile(fd, bytes.length);
    } finally {
      closeSync(fd);
    }
  }

  it('keeps the records a stale header seems to cover when its own events fail their checksum', () => {
    const a = encodeBatch(1, [createEvent('first batch')]);
    const b = encodeBatch(2, [createEvent('second')]);
    // A stale header (batch 9) whose length ends exactly where b begins once 32 of its bytes sit
    // in front of a: the chain of lengths holds, only the sequence order gives it away.
    const stale = encodeBatch(9, [createEvent(Buffer.alloc(a.length - 4))]).subarray(0, 32);
    const found = scan(Buffer.concat([stale, a, b]));
    expect(found.records.map((r) => [r.seq, r.offset])).to.deep.equal([[1, 32], [2, 32 + a.length]]);
    expect(found.damaged).to.deep.equal([{ offset: 0, bytes: 32 }]);
    expect(found.tail).to.equal(0);
  });

  it('finds the record after one whose length was cut short by lost bytes', () => {
    const a = encodeBatch(1, [createEvent('a'.repeat(40))]);
    const b = encodeBatch(2, [createEvent('b')]);
    const damagedA = Buffer.concat([a.subarray(0, 30), a.subarray(40)]);
    const found = scan(Buffer.concat([damagedA, b]));
    expect(found.records.map((r) => r.seq)).to.deep.equal([2]);
    expect(found.damaged).to.deep.equal([{ offset: 0, bytes: damagedA.length }]);
  });
});
