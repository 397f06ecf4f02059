import { appendFileSync, closeSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import type { FileChannel } from '@sluice/channel-file';
import { createComponentContext, errorCode, Telemetry, type ComponentContext, type TelemetryEvent } from '@sluice/core';
import { drain, fill, verifiedNumbers } from './fill.js';
import { makeChannel, TempRoot } from './make-channel.js';

const SIZE = 1000;

/** Overwrites `length` bytes at `offset` of `file` with random bytes. */
function garble(file: string, offset: number, length: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, randomBytes(length), 0, length, offset);
  closeSync(fd);
}

/** Overwrites `length` bytes in the middle of the largest file with the given extension. */
function garbleMiddle(dir: string, extension: string, length: number): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(extension)).map((f) => path.join(dir, f));
  expect(files, `${extension} files in ${dir}`).to.not.be.empty;
  const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  garble(file, Math.floor(statSync(file).size / 2), length);
  return file;
}

/** The channel's data files, oldest first. */
function dataFiles(dir: string): string[] {
  return readdirSync(path.join(dir, 'data')).filter((f) => f.endsWith('.dat')).sort().map((f) => path.join(dir, 'data', f));
}

/** Where each record of an undamaged data file starts, from the u32 record length at offset 4 of each record. */
function recordOffsets(file: string): { offset: number; length: number }[] {
  const bytes = readFileSync(file);
  const records: { offset: number; length: number }[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const length = bytes.readUInt32LE(offset + 4);
    records.push({ offset, length });
    offset += length;
  }
  return records;
}

function isAscending(numbers: number[]): boolean {
  return numbers.every((n, i) => i === 0 || n > numbers[i - 1]!);
}

describe('file channel with a damaged store', () => {
  const root = new TempRoot();
  const open: FileChannel[] = [];
  afterEach(async () => {
    for (const channel of open.splice(0)) await channel.stop();
  });
  after(() => root.cleanup());

  async function started(dir: string, ctx?: ComponentContext): Promise<FileChannel> {
    const channel = makeChannel(dir, {}, ctx);
    open.push(channel);
    await channel.start();
    return channel;
  }

  it('a stored batch that fails its checksum is skipped and counted; every other event is delivered in order', async () => {
    const dir = root.dir('value');
    const first = await started(dir);
    await fill(first, 10, 50, SIZE);
    await first.stop();

    const file = dataFiles(dir)[0]!;
    const records = recordOffsets(file);
    expect(records).to.have.length(10);
    const bytes = readFileSync(file);
    const { offset, length } = records[3]!;
    bytes[offset + Math.floor(length / 2)]! ^= 0xff;
    writeFileSync(file, bytes);

    const telemetry = new Telemetry();
    const errors: TelemetryEvent[] = [];
    const subscription = telemetry.events$.subscribe((event) => event.type === 'component.error' && errors.push(event));
    const second = await started(dir, createComponentContext({ name: 'c1', kind: 'CHANNEL', telemetry }));
    expect(second.size).to.equal(500);
    const numbers = verifiedNumbers(await drain(second, 70), SIZE);
    const expected = Array.from({ length: 500 }, (_, n) => n).filter((n) => n < 150 || n >= 200);
    expect(numbers).to.deep.equal(expected);
    expect(second.metrics.get('CorruptBatchCount')).to.equal(1);
    expect(second.metrics.get('CorruptEventCount')).to.equal(50);
    subscription.unsubscribe();
    expect(errors.map((e) => [e.component, e.count, errorCode(e.error)])).to.deep.equal([['c1', 50, 'SLUICE_DATA_CORRUPT']]);
    expect(second.size).to.equal(0);
    await second.stop();

    const third = await started(dir);
    expect(third.size, 'the corrupt batch was removed, nothing else is left').to.equal(0);
    expect(third.metrics.get('CorruptBatchCount')).to.equal(0);
  });

  it('garbage written into the middle of a data file still lets the channel start and deliver every intact event', async () => {
    const dir = root.dir('garbage-data');
    const first = await started(dir);
    await fill(first, 40, 100, SIZE);
    await first.stop();
    garbleMiddle(path.join(dir, 'data'), '.dat', 4096);
    await expectWholeBatchesLost(dir, 1, 2);
  });

  it('garbage over record headers costs exactly the records it hit; the records after it are found again', async () => {
    const dir = root.dir('garbage-headers');
    const first = await started(dir);
    await fill(first, 40, 100, SIZE);
    await first.stop();
    const file = dataFiles(dir)[0]!;
    const records = recordOffsets(file);
    // From inside record 10 to just past the header of record 12: records 11 and 12 lose their headers.
    const from = records[10]!.offset + 100;
    garble(file, from, records[12]!.offset + 30 - from);
    const numbers = await expectWholeBatchesLost(dir, 3, 3);
    expect(numbers.filter((n) => n >= 1000 && n < 1300)).to.deep.equal([]);
  });

  it('a record cut short at the end of a data file (a crash during a write) is ignored, nothing is counted as lost', async () => {
    const dir = root.dir('torn');
    const first = await started(dir);
    await fill(first, 5, 100, SIZE);
    await first.stop();
    const file = dataFiles(dir)[0]!;
    const records = recordOffsets(file);
    const whole = readFileSync(file);
    // Half of a copy of the first record: a write the crash interrupted, never committed.
    appendFileSync(file, whole.subarray(0, Math.floor(records[0]!.length / 2)));

    const second = await started(dir);
    expect(verifiedNumbers(await drain(second), SIZE)).to.deep.equal(Array.from({ length: 500 }, (_, n) => n));
    expect(second.metrics.get('CorruptBatchCount')).to.equal(0);
  });

  it('a damaged CURRENT file of the index (LevelDB cannot open it) is repaired at start and every event delivered', async () => {
    const dir = root.dir('current');
    const first = await started(dir);
    await fill(first, 10, 100, SIZE);
    await first.stop();
    writeFileSync(path.join(dir, 'index', 'CURRENT'), 'MANIFEST-999999\n');

    const second = await started(dir);
    expect(second.metrics.get('StoreRepairCount')).to.equal(1);
    expect(verifiedNumbers(await drain(second), SIZE)).to.deep.equal(Array.from({ length: 1000 }, (_, n) => n));
  });

  for (const [extension, what] of [['.ldb', 'a table file (.ldb)'], ['.log', 'the write-ahead log (.log)']] as const) {
    it(`garbage written into the middle of the index's ${what} still lets the channel start and deliver every unconsumed event`, async () => {
      const dir = root.dir(`garbage${extension}`);
      const first = await started(dir);
      await fill(first, 40, 100, SIZE);
      // Consumption records in the index: 10 whole batches and half of the 11th.
      const tx = first.transaction();
      expect(await tx.take(1050)).to.have.length(1050);
      await tx.commit();
      await first.stop();
      if (extension === '.ldb') {
        // Reopening converts the write-ahead log into a table file.
        await (await started(dir)).stop();
      }
      garbleMiddle(path.join(dir, 'index'), extension, 4096);

      const second = await started(dir);
      const numbers = verifiedNumbers(await drain(second), SIZE);
      expect(isAscending(numbers), 'in order, no duplicates').to.equal(true);
      // Damage to the index can only cost consumption records: consumed events may come again.
      expect(numbers.filter((n) => n >= 1050)).to.deep.equal(Array.from({ length: 2950 }, (_, n) => 1050 + n));
      expect(second.metrics.get('CorruptEventCount'), 'no event was lost').to.equal(0);
      await second.stop();

      const third = await started(dir);
      expect(third.size, 'nothing left after the drain').to.equal(0);
    });
  }

  /** Drains the channel in `dir` and checks that only whole batches of 100 (min..max of them) are missing, counted once. */
  async function expectWholeBatchesLost(dir: string, min: number, max: number): Promise<number[]> {
    const second = await started(dir);
    const numbers = verifiedNumbers(await drain(second), SIZE);
    expect(isAscending(numbers), 'in order, no duplicates').to.equal(true);
    const lostBatches = (4000 - numbers.length) / 100;
    expect(lostBatches, 'something was damaged, and not much').to.be.within(min, max);
    const missing = new Set(Array.from({ length: 4000 }, (_, n) => n).filter((n) => !numbers.includes(n)).map((n) => Math.floor(n / 100)));
    expect(missing.size, 'missing events form whole batches').to.equal(lostBatches);
    expect(second.metrics.get('CorruptBatchCount'), 'lost batches are counted').to.equal(lostBatches);
    await second.stop();

    const third = await started(dir);
    expect(third.size, 'nothing left after the drain').to.equal(0);
    expect(third.metrics.get('CorruptBatchCount'), 'damage is counted once, not at every start').to.equal(0);
    await third.stop();
    return numbers;
  }
});
