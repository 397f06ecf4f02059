import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTopology } from '@sluice/config';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BODY = 256;

/** seq -> `channel` -> null, 256-byte events, batches of 1000; events/s and whether it spilled. */
async function measure(channel: string, dataDir: string): Promise<{ eventsPerSec: number; spilled: number; peakRssMb: number; seconds: number }> {
  const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    dataDir: '${dataDir}'
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: 1000, bodySize: ${BODY}, channels: [ch] }
    channels:
      ch: ${channel}
    sinks:
      out: { type: 'null', channel: ch, batchSize: 1000 }
`);
  const { agent, elapsed, peakRssMb } = await runUntilDrained(raw, EVENTS);
  const spilled = agent.metrics.find((m) => m.kind === 'CHANNEL' && m.name === 'ch')?.get('SpillCount') ?? 0;
  await agent.stop(1000);
  const seconds = Number(elapsed) / 1e9;
  return { eventsPerSec: Math.round(EVENTS / seconds), spilled, peakRssMb, seconds };
}

/**
 * The spillablememory channel in two regimes, with the memory channel in the same run as the
 * reference: a memory part large enough for the flow (it should cost about what the memory
 * channel does), and no memory part at all (every batch spills to the overflow, fsync per commit,
 * and is read back from it), with the file channel in the same run as that regime's reference.
 */
export async function run(): Promise<BenchResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-spill-'));
  try {
    const memory = await measure(`{ type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }`, path.join(work, 'm'));
    const inMemory = await measure(`{ type: spillablememory, memoryCapacity: 100000, transactionCapacity: 1000, byteCapacity: '0', minFreeSpace: '0', dataDir: '${path.join(work, 'a')}' }`, path.join(work, 'a-data'));
    const spilling = await measure(`{ type: spillablememory, memoryCapacity: 0, transactionCapacity: 1000, byteCapacity: '0', minFreeSpace: '0', dataDir: '${path.join(work, 'b')}' }`, path.join(work, 'b-data'));
    const fileChannel = await measure(`{ type: file, transactionCapacity: 1000, minFreeSpace: '0', dataDir: '${path.join(work, 'c')}' }`, path.join(work, 'c-data'));
    const measured = result('spillablememory', EVENTS, EVENTS * BODY, BigInt(Math.round(inMemory.seconds * 1e9)), Math.max(inMemory.peakRssMb, spilling.peakRssMb), {
      memoryChannelEventsPerSec: memory.eventsPerSec,
      ratioToMemoryChannel: Math.round((inMemory.eventsPerSec / memory.eventsPerSec) * 100) / 100,
      allSpilledEventsPerSec: spilling.eventsPerSec,
      spilledEvents: spilling.spilled,
      fileChannelEventsPerSec: fileChannel.eventsPerSec,
      allSpilledRatioToFileChannel: Math.round((spilling.eventsPerSec / fileChannel.eventsPerSec) * 100) / 100,
    });
    return measured;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
