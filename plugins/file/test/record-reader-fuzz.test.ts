import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { fc, fuzzTarget } from '@sluice/testkit';
import { RecordReader, type OverflowPolicy, type ReadyRecord } from '../src/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REGRESSIONS = path.resolve(HERE, '../../test/fixtures/fuzz');
const MULTILINE_START = /^\S/;

interface Outcome { records: string[]; split: number; dropped: number }

const show = (r: ReadyRecord): string => `${r.start}-${r.end}:${r.body.toString('hex')}`;

/**
 * What the reader must produce for a whole file, written from the option descriptions rather than
 * from the reader: lines end at \n (one \r before it is not part of the line), a line over
 * maxLineLength is split into maxLineLength pieces or dropped, and with a start pattern the lines
 * join with \n into records no longer than maxLineLength.
 */
function expected(bytes: Buffer, start: number, max: number, overflow: OverflowPolicy, multiline: boolean): Outcome {
  const records: string[] = [];
  let split = 0;
  let dropped = 0;
  let open: { parts: Buffer[]; length: number; start: number; end: number } | undefined;
  const close = (): void => {
    if (open) records.push(show({ body: Buffer.from(open.parts.flatMap((p, i) => (i ? [Buffer.from('\n'), p] : [p])).reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0))), start: open.start, end: open.end }));
    open = undefined;
  };
  const emit = (body: Buffer, s: number, e: number): void => {
    if (!multiline) {
      records.push(show({ body, start: s, end: e }));
      return;
    }
    if (open) {
      const isStart = MULTILINE_START.test(body.toString('utf8'));
      if (isStart || open.length + 1 + body.length > max) {
        if (!isStart) split++;
        close();
      }
    }
    if (open) {
      open.parts.push(body);
      open.length += 1 + body.length;
      open.end = e;
    } else {
      open = { parts: [body], length: body.length, start: s, end: e };
    }
  };
  for (let pos = 0; pos < bytes.length;) {
    const newline = bytes.indexOf(0x0a, pos);
    const next = newline < 0 ? bytes.length : newline + 1;
    let end = newline < 0 ? bytes.length : newline;
    if (newline >= 0 && end > pos && bytes[end - 1] === 0x0d) end--;
    if (end - pos <= max) {
      emit(bytes.subarray(pos, end), start + pos, start + next);
    } else if (overflow === 'drop') {
      dropped++;
    } else {
      split++;
      for (let s = pos; s < end; s += max) emit(bytes.subarray(s, Math.min(s + max, end)), start + s, Math.min(s + max, end) === end ? start + next : start + s + max);
    }
    pos = next;
  }
  close();
  return { records, split, dropped };
}

function read(bytes: Buffer, start: number, cuts: number[], max: number, overflow: OverflowPolicy, multiline: boolean, finish: boolean): Outcome {
  const reader = new RecordReader(start, { maxLineLength: max, overflow, multilineStart: multiline ? MULTILINE_START : undefined });
  const records: ReadyRecord[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b).concat(bytes.length)) {
    // A fresh copy per read, as a file read would give; take() between reads as the sources do.
    reader.push(Buffer.from(bytes.subarray(at, cut)));
    at = cut;
    records.push(...reader.take(3));
  }
  if (finish) reader.finish();
  records.push(...reader.take(Number.MAX_SAFE_INTEGER));
  expect(reader.readPos).to.equal(start + bytes.length);
  return { records: records.map(show), split: reader.splitCount, dropped: reader.droppedCount };
}

// Few distinct bytes so lines, \r\n pairs and lone \r land on every boundary; a UTF-8 lead byte too.
const fileBytes = fc.array(fc.constantFrom(0x61, 0x61, 0x62, 0x20, 0x0d, 0x0a, 0x0a, 0xc3), { maxLength: 48 }).map((a) => Uint8Array.from(a));

describe('RecordReader @fuzz', () => {
  it('@fuzz reads the same records, offsets and split/drop counts however the file is cut into reads', async () => {
    await fuzzTarget('record-reader-chunking', [
      fileBytes,
      fc.array(fc.nat({ max: 48 }), { maxLength: 8 }),
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom<OverflowPolicy>('split', 'drop'),
      fc.boolean(),
      fc.nat({ max: 1000 }),
    ], (array, cuts, max, overflow, multiline, start) => {
      const bytes = Buffer.from(array);
      const whole = expected(bytes, start, max, overflow, multiline);
      expect(read(bytes, start, cuts, max, overflow, multiline, true)).to.deep.equal(whole);
      // Without finish() (a file still being tailed) the reads agree with one read of the whole
      // and are a prefix of the complete file's records.
      const once = read(bytes, start, [], max, overflow, multiline, false);
      const cut = read(bytes, start, cuts, max, overflow, multiline, false);
      expect(cut).to.deep.equal(once);
      expect(whole.records.slice(0, cut.records.length)).to.deep.equal(cut.records);
    }, { regressions: REGRESSIONS });
  });
});
