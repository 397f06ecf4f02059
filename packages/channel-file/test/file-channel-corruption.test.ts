import { closeSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { ClassicLevel } from 'classic-level';
import type { FileChannel } from '@sluice/channel-file';
import { createComponentContext, errorCode, Telemetry, type ComponentContext, type TelemetryEvent } from '@sluice/core';
import { drain, fill, verifiedNumbers } from './fill.js';
import { makeChannel, TempRoot } from './make-channel.js';

const SIZE = 1000;

/** Overwrites `length` bytes in the middle of the largest file with the given extension. */
function garbleMiddle(dir: string, extension: string, length: number): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(extension)).map((f) => path.join(dir, f));
  expect(files, `${extension} files in ${dir}`).to.not.be.empty;
  const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  const fd = openSync(file, 'r+');
  writeSync(fd, randomBytes(length), 0, length, Math.floor(statSync(file).size / 2));
  closeSync(fd);
  return file;
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

    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const keys: Buffer[] = [];
    for await (const key of db.keys({ gte: Buffer.from('B'), lt: Buffer.from('C') })) keys.push(key);
    expect(keys).to.have.length(10);
    const value = (await db.get(keys[3]!))!;
    value[Math.floor(value.length / 2)]! ^= 0xff;
    await db.put(keys[3]!, value, { sync: true });
    await db.close();

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
  });

  it('a damaged CURRENT file (LevelDB cannot open the store) is repaired at start and every event delivered', async () => {
    const dir = root.dir('current');
    const first = await started(dir);
    await fill(first, 10, 100, SIZE);
    await first.stop();
    writeFileSync(path.join(dir, 'CURRENT'), 'MANIFEST-999999\n');

    const second = await started(dir);
    expect(second.metrics.get('StoreRepairCount')).to.equal(1);
    expect(verifiedNumbers(await drain(second), SIZE)).to.deep.equal(Array.from({ length: 1000 }, (_, n) => n));
  });

  for (const [extension, what] of [['.ldb', 'a table file (.ldb)'], ['.log', 'the write-ahead log (.log)']] as const) {
    it(`garbage written into the middle of ${what} still lets the channel start and deliver every intact event`, async () => {
      const dir = root.dir(`garbage${extension}`);
      const first = await started(dir);
      await fill(first, 40, 100, SIZE);
      await first.stop();
      if (extension === '.ldb') {
        // Reopening converts the write-ahead log into a table file.
        await (await started(dir)).stop();
      }
      garbleMiddle(dir, extension, 4096);

      const second = await started(dir);
      const numbers = verifiedNumbers(await drain(second), SIZE);
      expect(isAscending(numbers), 'in order, no duplicates').to.equal(true);
      // Batches are all-or-nothing: whole batches of 100 are missing, and each one is counted.
      const lostBatches = (4000 - numbers.length) / 100;
      expect(lostBatches, 'something was damaged, and not much').to.be.within(1, 3);
      const missing = new Set(Array.from({ length: 4000 }, (_, n) => n).filter((n) => !numbers.includes(n)).map((n) => Math.floor(n / 100)));
      expect(missing.size, 'missing events form whole batches').to.equal(lostBatches);
      expect(second.metrics.get('CorruptBatchCount'), 'lost batches are counted').to.equal(lostBatches);
      await second.stop();

      const third = await started(dir);
      expect(third.size, 'nothing left after the drain').to.equal(0);
      expect(third.metrics.get('CorruptBatchCount'), 'damage is counted once, not at every start').to.equal(0);
    });
  }
});
