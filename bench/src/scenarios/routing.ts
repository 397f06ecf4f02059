import { parseTopology } from '@sluice/config';
import { benchAgent } from '../run-until-drained.js';
import { median, result, trackPeakRss, type BenchResult } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BODY = 256;

const CHANNELS = `
    channels:
      c1: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
      c2: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      k1: { type: 'null', channel: c1, batchSize: 1000 }
      k2: { type: 'null', channel: c2, batchSize: 1000 }
`;

/** The measured topology: the chain and the selector. */
const ROUTED = `
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
${CHANNELS}`;

/** The reference: the same source, channels and sinks, without interceptors, half the events to each channel by two sources. */
const PLAIN = `
agents:
  bench:
    drainTimeout: 60s
    sources:
      s1: { type: seq, count: ${EVENTS / 2}, batchSize: 1000, bodySize: ${BODY}, channels: [c1] }
      s2: { type: seq, count: ${EVENTS / 2}, batchSize: 1000, bodySize: ${BODY}, channels: [c2] }
${CHANNELS}`;

interface Measured { elapsed: bigint; peak: number; split: number[] }

async function measure(topology: string): Promise<Measured> {
  const { agent } = await benchAgent(parseTopology(topology));
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
  return { elapsed, peak, split };
}

/**
 * seq -> [timestamp, host, static, regex_extractor (last digit of the sequence number)] ->
 * multiplexing on that digit (0-4 -> c1, 5-9 -> c2) -> two null sinks; 256-byte events, batches of
 * 1000. The cost of a realistic interceptor chain plus per-event routing, against `memory`.
 * Same-run reference: the same channels and sinks fed by plain seq sources, no interceptors and no
 * selector (`plainEventsPerSec`); the two alternate for BENCH_ROUNDS rounds, each keeps its median,
 * and `ofPlain` is the routed rate over the plain one (1 would mean the chain and routing cost nothing).
 */
export async function run(): Promise<BenchResult> {
  const routed: Measured[] = [];
  const plain: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(Number((await measure(PLAIN)).elapsed));
    routed.push(await measure(ROUTED));
  }
  const routedElapsed = BigInt(Math.round(median(routed.map((r) => Number(r.elapsed)))));
  const plainEventsPerSec = Math.round(EVENTS / (median(plain) / 1e9));
  // The routing is by sequence number, so every round splits the events alike.
  const line = result('routing', EVENTS, EVENTS * BODY, routedElapsed, Math.max(...routed.map((r) => r.peak)), { perChannel: routed[0]!.split, rounds: ROUNDS });
  return { ...line, plainEventsPerSec, ofPlain: Math.round((line.eventsPerSec / plainEventsPerSec) * 100) / 100 };
}
