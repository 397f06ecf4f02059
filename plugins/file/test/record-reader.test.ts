import { expect } from 'chai';
import { RecordReader, type ReadyRecord } from '../src/index.js';

const bodies = (records: ReadyRecord[]): string[] => records.map((r) => r.body.toString());

describe('RecordReader', () => {
  it('joins lines split across chunks, strips \\r, and reports the offset after each line', () => {
    const reader = new RecordReader(100, { maxLineLength: 100, overflow: 'split' });
    reader.push(Buffer.from('ab'));
    reader.push(Buffer.from('c\r\nde'));
    reader.push(Buffer.from('f\n'));
    const records = reader.take(10);
    expect(bodies(records)).to.deep.equal(['abc', 'def']);
    expect(records.map((r) => r.end)).to.deep.equal([105, 109]);
    expect(records.map((r) => r.start)).to.deep.equal([100, 105]);
  });

  it('splits an overlong unterminated line as it arrives, resuming offsets mid-line', () => {
    const reader = new RecordReader(0, { maxLineLength: 4, overflow: 'split' });
    reader.push(Buffer.from('abcdefghij'));
    reader.push(Buffer.from('k\n'));
    const records = reader.take(10);
    expect(bodies(records)).to.deep.equal(['abcd', 'efgh', 'ijk']);
    expect(records.map((r) => r.end)).to.deep.equal([4, 8, 12]);
    expect(records.map((r) => r.start)).to.deep.equal([0, 4, 8]);
    expect(reader.splitCount).to.equal(1);
  });

  it('drops an overlong line spanning chunks as one dropped line', () => {
    const reader = new RecordReader(0, { maxLineLength: 4, overflow: 'drop' });
    reader.push(Buffer.from('ok\nabcdef'));
    reader.push(Buffer.from('ghij'));
    reader.push(Buffer.from('kl\nfine\n'));
    expect(bodies(reader.take(10))).to.deep.equal(['ok', 'fine']);
    expect(reader.droppedCount).to.equal(1);
  });

  it('finish() emits the unterminated last line and the open multi-line record', () => {
    const reader = new RecordReader(0, { maxLineLength: 100, overflow: 'split', multilineStart: /^\S/ });
    reader.push(Buffer.from('first\n  more\nsecond\n  tail'));
    expect(bodies(reader.take(10))).to.deep.equal(['first\n  more']);
    reader.finish();
    const last = reader.take(10);
    expect(bodies(last)).to.deep.equal(['second\n  tail']);
    expect(last[0]!.end).to.equal(26);
    expect(last[0]!.start).to.equal(13);
  });

  it('does not keep taken records reachable while reading ahead', () => {
    const reader = new RecordReader(0, { maxLineLength: 100, overflow: 'split' });
    const chunk = Buffer.from('x\n'.repeat(2600));
    for (let i = 0; i < 200; i++) {
      if (reader.pending < 1000) reader.push(Buffer.from(chunk));
      reader.take(1000);
    }
    expect((reader as unknown as { ready: unknown[] }).ready.length).to.be.below(10000);
  });

  it('keeps a line of exactly maxLineLength whole when a read ends between its \\r and \\n', () => {
    for (const overflow of ['split', 'drop'] as const) {
      const reader = new RecordReader(0, { maxLineLength: 4, overflow });
      reader.push(Buffer.from('abcd\r'));
      reader.push(Buffer.from('\nef\n'));
      const records = reader.take(10);
      expect(bodies(records), overflow).to.deep.equal(['abcd', 'ef']);
      expect(records.map((r) => r.end)).to.deep.equal([6, 9]);
      expect([reader.splitCount, reader.droppedCount]).to.deep.equal([0, 0]);
    }
  });

  it('counts a long line split over many reads once', () => {
    const reader = new RecordReader(0, { maxLineLength: 2, overflow: 'split' });
    for (const c of 'abcdefg') reader.push(Buffer.from(c));
    reader.push(Buffer.from('\n'));
    expect(bodies(reader.take(10))).to.deep.equal(['ab', 'cd', 'ef', 'g']);
    expect(reader.splitCount).to.equal(1);
  });

  it('finish() splits or drops an unterminated last line longer than maxLineLength', () => {
    const split = new RecordReader(0, { maxLineLength: 2, overflow: 'split' });
    split.push(Buffer.from('ab\r'));
    split.finish();
    expect(bodies(split.take(10))).to.deep.equal(['ab', '\r']);
    expect(split.splitCount).to.equal(1);
    const drop = new RecordReader(0, { maxLineLength: 2, overflow: 'drop' });
    drop.push(Buffer.from('ab\r'));
    drop.finish();
    expect(drop.take(10)).to.deep.equal([]);
    expect(drop.droppedCount).to.equal(1);
  });
});
