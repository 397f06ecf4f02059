import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createSimdScan } from '../src/simd-scan.js';
import { encodeEvents, EventEncoder, StageLog, type Frame } from '../src/stage-log.js';

const frame = (type: Frame['type'], text: string): { type: string; text: string } => ({ type, text });
const texts = (frames: readonly Frame[]): { type: string; text: string }[] => frames.map((f) => frame(f.type, f.payload.toString('utf8')));

describe('sql stage log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-stage-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps synced records (their own descriptor) and plain markers in the order they were appended, across reopening and a torn tail', async () => {
    const first = await StageLog.open(dir);
    expect(first.recovered.frames).to.deep.equal([]);
    const log = first.log;
    await log.append('B', [Buffer.from('batch'), Buffer.from('-1')], true);
    await log.append('C', Buffer.alloc(0), false);
    await log.append('B', Buffer.from('batch-2'), true);
    await log.append('E', Buffer.from('window'), false);
    await log.append('B', Buffer.from('batch-3'), true);
    expect(log.size).to.equal(5 * 5 + 'batch-1batch-2windowbatch-3'.length);
    await log.close();

    // A record cut short by a crash: its header promises more bytes than follow.
    const [name] = (await readdir(dir)).filter((n) => n.endsWith('.log'));
    await appendFile(path.join(dir, name!), Buffer.from([0x42, 0, 0, 0, 100, 0x41]));

    const second = await StageLog.open(dir);
    const expected = [frame('B', 'batch-1'), frame('C', ''), frame('B', 'batch-2'), frame('E', 'window'), frame('B', 'batch-3')];
    expect(texts(second.recovered.frames)).to.deep.equal(expected);
    // The torn tail is cut off, so what is appended now follows the last whole record.
    await second.log.append('R', Buffer.alloc(0), false);
    await second.log.append('B', Buffer.from('batch-4'), true);
    await second.log.close();

    const third = await StageLog.open(dir);
    expect(texts(third.recovered.frames)).to.deep.equal([...expected, frame('R', ''), frame('B', 'batch-4')]);
    await third.log.close();
  });

  it('writes a deferred marker with the next record (synced or plain), before it, or at close; a crash before that loses only the marker', async () => {
    const { log } = await StageLog.open(dir);
    await log.append('B', Buffer.from('batch-1'), true);
    log.defer('C');
    // Not on disk yet: a crash now would find the batch alone.
    const name = (await readdir(dir)).find((n) => n.endsWith('.log'))!;
    expect((await readFile(path.join(dir, name))).length).to.equal(5 + 'batch-1'.length);
    await log.append('B', Buffer.from('batch-2'), true);
    log.defer('C');
    await log.append('E', Buffer.from('window'), false);
    log.defer('C');
    expect(log.size).to.equal(5 * 5 + 'batch-1batch-2window'.length);
    await log.close();
    expect(log.size).to.equal(6 * 5 + 'batch-1batch-2window'.length);
    const { log: reopened, recovered } = await StageLog.open(dir);
    expect(texts(recovered.frames)).to.deep.equal([frame('B', 'batch-1'), frame('C', ''), frame('B', 'batch-2'), frame('C', ''), frame('E', 'window'), frame('C', '')]);
    // writeDeferred writes them at once (the idle stage's call).
    reopened.defer('C');
    await reopened.writeDeferred();
    expect((await readFile(path.join(dir, name))).length).to.equal(7 * 5 + 'batch-1batch-2window'.length);
    await reopened.close();
  });

  it('appends to the new log after a compaction, through both descriptors', async () => {
    const { log } = await StageLog.open(dir);
    await log.append('B', Buffer.from('old'), true);
    await log.compact({ state: { n: 1 } }, (file) => writeFile(file, 'rows'));
    await log.append('B', Buffer.from('new'), true);
    await log.append('C', Buffer.alloc(0), false);
    await log.close();
    const { log: reopened, recovered } = await StageLog.open(dir);
    expect(recovered.generation).to.equal(1);
    expect(recovered.meta).to.deep.include({ state: { n: 1 } });
    expect(texts(recovered.frames)).to.deep.equal([frame('B', 'new'), frame('C', '')]);
    await reopened.close();
  });

  it('cuts a torn first record too, so a log whose only record was torn takes new records from its start', async () => {
    await writeFile(path.join(dir, 'state-0.log'), Buffer.from([0x42, 0, 0, 0, 100, 0x41]));
    const first = await StageLog.open(dir);
    expect(first.recovered.frames).to.deep.equal([]);
    expect(first.log.size).to.equal(0);
    await first.log.append('B', Buffer.from('batch'), true);
    await first.log.close();
    const second = await StageLog.open(dir);
    expect(texts(second.recovered.frames)).to.deep.equal([frame('B', 'batch')]);
    await second.log.close();
  });

  it('encodes batches into the SIMD memory as encodeEvents does, telling where each body is there, across growth', () => {
    const simd = createSimdScan()!;
    const encoder = new EventEncoder(['h'], simd);
    for (const [count, size] of [[3, 10], [200, 1000], [2, 5]] as const) {
      const events = Array.from({ length: count }, (_, i) => ({ headers: (i % 2 === 0 ? { h: `v${i}` } : {}) as Record<string, string>, body: Buffer.alloc(size + i, 0x61 + (i % 26)) }));
      const encoded = encoder.encode(events);
      expect(encoded.buffer).to.equal(simd.memory.buffer);
      expect(Buffer.compare(encoded, encodeEvents(events, ['h']))).to.equal(0);
      const memory = Buffer.from(simd.memory.buffer);
      events.forEach((event, i) => expect(Buffer.compare(memory.subarray(encoder.bodyAt[i]!, encoder.bodyAt[i]! + event.body.length), event.body)).to.equal(0));
    }
    const plain = new EventEncoder([]);
    plain.encode([{ headers: {}, body: Buffer.from('x') }]);
    expect(plain.bodyAt[0]).to.equal(-1);
  });
});
