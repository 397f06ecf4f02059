import { parseTopology } from '@sluice/config';
import { benchAgent } from '../run-until-drained.js';
import { result, trackPeakRss, type BenchResult } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const BODY = 256;

/**
 * seq -> [timestamp, host, static, regex_extractor (last digit of the sequence number)] ->
 * multiplexing on that digit (0-4 -> c1, 5-9 -> c2) -> two null sinks; 256-byte events, batches of
 * 1000. The cost of a realistic interceptor chain plus per-event routing, against `memory`.
 */
export async function run(): Promise<BenchResult> {
  const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    sources:
      seq:
        type: seq
        count: ${EVENTS}
        batchSize: 1000
        bodySize: ${BODY}
        channels: [c1, c2]
        interceptors:
          - { type: timestamp }
          - { type: host }
          - { type: static, key: dc, value: eu1 }
          - { type: regex_extractor, regex: '^\\d*(\\d)', serializers: [{ name: digit }] }
        selector:
          type: multiplexing
          header: digit
          mapping: { '0': [c1], '1': [c1], '2': [c1], '3': [c1], '4': [c1], '5': [c2], '6': [c2], '7': [c2], '8': [c2], '9': [c2] }
    channels:
      c1: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
      c2: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      k1: { type: 'null', channel: c1, batchSize: 1000 }
      k2: { type: 'null', channel: c2, batchSize: 1000 }
`);
  const { agent } = await benchAgent(raw);
  const rss = trackPeakRss();
  const started = process.hrtime.bigint();
  await agent.start();
  const sinks = agent.metrics.filter((m) => m.kind === 'SINK');
  const delivered = (): number => sinks.reduce((sum, m) => sum + m.get('EventDrainSuccessCount'), 0);
  while (delivered() < EVENTS) await new Promise((resolve) => setTimeout(resolve, 5));
  const elapsed = process.hrtime.bigint() - started;
  const peak = rss.stop();
  const split = sinks.map((m) => m.get('EventDrainSuccessCount'));
  await agent.stop(1000);
  return result('routing', EVENTS, EVENTS * BODY, elapsed, peak, { perChannel: split });
}
