import { parseTopology } from '@sluice/config';
import { Agent, loadTopology } from '@sluice/agent';
import { result, trackPeakRss, type BenchResult, sinkMetrics, drained } from '../result.js';

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
  const { model, catalog } = await loadTopology(raw);
  const agent = new Agent(model.agents.bench!, catalog);
  const rss = trackPeakRss();
  const started = process.hrtime.bigint();
  await agent.start();
  const sink = sinkMetrics(agent, 'out');
  await drained(sink, EVENTS);
  const elapsed = process.hrtime.bigint() - started;
  const peak = rss.stop();
  await agent.stop(1000);
  return result('memory', EVENTS, EVENTS * BODY, elapsed, peak);
}
