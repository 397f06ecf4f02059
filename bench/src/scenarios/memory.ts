import { parseTopology } from '@sluice/config';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000_000);
const BODY = 256;

/** seq -> memory -> null, 256-byte events, batches of 1000, in one process. */
export async function run(): Promise<BenchResult> {
  const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: 1000, bodySize: ${BODY}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: 'null', channel: mem, batchSize: 1000 }
`);
  const { agent, elapsed, peakRssMb: peak } = await runUntilDrained(raw, EVENTS);
  await agent.stop(1000);
  return result('memory', EVENTS, EVENTS * BODY, elapsed, peak);
}
