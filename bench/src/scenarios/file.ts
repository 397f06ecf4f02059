import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, writev } from 'node:fs';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { parseTopology } from '@sluice/config';
import { createComponentContext, type Channel, type SluiceEvent } from '@sluice/core';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const STORED = Number(process.env.BENCH_STORED ?? 1_000_000);
const BODY = 256;
const BATCH = 1000;

/**
 * seq -> file -> null, 256-byte events, batches of 1000, fsync on every commit, in one process.
 * Extra fields: restartMs (start-up of a channel holding 1,000,000 stored events), firstTakeMs
 * (first batch taken after that restart), restartAfterConsumedMs (start-up of the drained channel
 * after all its events were consumed), the channel's write and fsync counts and mean fsync time,
 * and diskCeilingMbPerSec: what a bare append + fdatasync of batch-sized writes sustains on this
 * disk, measured in the same run before and after the channel (the higher of the two is the channel's ceiling).
 */
export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-file-'));
  try {
    // The ceiling is measured before the channel runs and again after it (when the disk may still
    // be writing back the channel's files); the higher of the two is the one the channel is held to.
    const ceilingBefore = await diskCeiling(path.join(dir, 'ceiling-before'), 1000);
    const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: ${BATCH}, bodySize: ${BODY}, channels: [disk] }
    channels:
      disk: { type: file, dataDir: '${path.join(dir, 'flow')}', capacity: 2000000, transactionCapacity: ${BATCH}, fsync: always, minFreeSpace: '0' }
    sinks:
      out: { type: 'null', channel: disk, batchSize: ${BATCH} }
`);
    const { agent, catalog, sink, elapsed, peakRssMb: peak } = await runUntilDrained(raw, EVENTS);
    const channel = agent.metrics.find((m) => m.kind === 'CHANNEL' && m.name === 'disk')!;
    const fsyncs = channel.get('FsyncCount');
    const fsyncMeanMs = fsyncs > 0 ? Math.round((channel.get('FsyncTimeMillis') / fsyncs) * 100) / 100 : 0;
    await agent.stop(1000);

    const definition = catalog.find('channel', 'file')!;
    const configFor = (name: string) => ({ dataDir: path.join(dir, name), capacity: STORED * 2, byteCapacity: '0', transactionCapacity: BATCH, fsync: 'always', fsyncInterval: '1s', minFreeSpace: '0', keepAlive: '3s', maxFileSize: '64MiB' });
    const channelOn = (name: string): Channel => definition.create(configFor(name), createComponentContext({ name, kind: 'CHANNEL' })) as Channel;
    const create = (): Channel => channelOn('stored');

    // Restart of the drained channel above: everything it ever held was consumed.
    const emptied = channelOn('flow');
    const emptiedStarted = process.hrtime.bigint();
    await emptied.start();
    const restartAfterConsumedMs = Number(process.hrtime.bigint() - emptiedStarted) / 1e6;
    await emptied.stop();
    const fill = create();
    await fill.start();
    const body = Buffer.alloc(BODY, 0x78);
    for (let n = 0; n < STORED; n += BATCH) {
      const batch: SluiceEvent[] = Array.from({ length: BATCH }, () => ({ headers: {}, body }));
      const tx = fill.transaction();
      tx.put(batch);
      await tx.commit();
    }
    await fill.stop();
    const reopened = create();
    const restartStarted = process.hrtime.bigint();
    await reopened.start();
    const restartMs = Number(process.hrtime.bigint() - restartStarted) / 1e6;
    const tx = reopened.transaction();
    const first = await tx.take(BATCH);
    await tx.commit();
    const firstTakeMs = Number(process.hrtime.bigint() - restartStarted) / 1e6;
    await reopened.stop();
    if (first.length !== BATCH) throw new Error(`restart check: took ${first.length} events, expected ${BATCH}`);

    const ceilingAfter = await diskCeiling(path.join(dir, 'ceiling-after'), 1000);
    const ceiling = Math.max(ceilingBefore, ceilingAfter);

    return result('file', EVENTS, EVENTS * BODY, elapsed, peak, {
      fsync: 'always', batch: BATCH, storeWrites: channel.get('StoreWriteCount'), fsyncCount: fsyncs, fsyncMeanMs,
      storedEvents: STORED, restartMs: Math.round(restartMs), firstTakeMs: Math.round(firstTakeMs),
      consumedEvents: EVENTS, restartAfterConsumedMs: Math.round(restartAfterConsumedMs),
      diskCeilingMbPerSec: ceiling, diskCeilingBeforeMbPerSec: ceilingBefore, diskCeilingAfterMbPerSec: ceilingAfter,
      // Bodies moved through the channel (each written once, read once) against the bare disk loop.
      ofDiskCeiling: Math.round(((EVENTS * BODY) / 1e6 / (Number(elapsed) / 1e9) / ceiling) * 100) / 100,
      target: 0.8,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The disk's ceiling on this machine right now: one append of a batch-sized buffer then fdatasync,
 * in a loop, the least work a durable commit can do. Printed beside the channel's figure so a slow
 * or busy machine is visible as such.
 */
async function diskCeiling(file: string, batches: number): Promise<number> {
  const writevAsync = promisify(writev);
  const fdatasyncAsync = promisify(fdatasync);
  const fd = openSync(file, 'w');
  const value = Buffer.alloc(BATCH * BODY, 0x78);
  const started = process.hrtime.bigint();
  try {
    for (let b = 0; b < batches; b++) {
      await writevAsync(fd, [value], b * value.length);
      await fdatasyncAsync(fd);
    }
  } finally {
    closeSync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round(((batches * value.length) / 1e6 / seconds) * 10) / 10;
}
