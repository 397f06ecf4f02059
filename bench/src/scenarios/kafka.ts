import { parseTopology } from '@sluice/config';
import { benchAgent } from '../run-until-drained.js';
import { BatchSink, defineComponent, definePlugin, type SluiceEvent } from '@sluice/core';
import { KafkaMockCluster } from '@sluice/testkit';
import { result, trackPeakRss, type BenchResult, sinkMetrics, drained, percentile99 } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const BODY = 256;

/** A null sink that also records, per batch, the age of its first event (timestamp header). */
function latencySinkPlugin(latencies: number[]) {
  class LatencySink extends BatchSink {
    protected async write(events: SluiceEvent[]): Promise<void> {
      latencies.push(Date.now() - Number(events[0]!.headers.timestamp));
    }
  }
  return definePlugin({
    name: 'bench-latency-sink',
    core: '^0.1.0',
    components: [defineComponent<'sink', { batchSize: number }>({
      kind: 'sink', type: 'latency_null', description: 'Discards events, recording batch latency.', guarantee: 'Bench only.',
      schema: { type: 'object', additionalProperties: false, properties: { batchSize: { type: 'integer', default: 1000, description: 'Batch.' } }, required: ['batchSize'] },
      create: (config, ctx) => new LatencySink(ctx, config.batchSize),
    })],
  });
}

/**
 * seq -> kafka channel -> null (recording latency) through librdkafka's mock cluster (one broker, 4 partitions),
 * 256-byte events as AvroFlumeEvent records, batches of 1000. The mock keeps records in memory and
 * is no performance reference for a real cluster: the figure is for comparing Sluice versions.
 * With KAFKA_BROKERS set it runs against that cluster instead (topic auto-created).
 */
export async function run(): Promise<BenchResult> {
  const topic = `bench-kafka-${process.pid}-${Date.now()}`;
  const mock = process.env.KAFKA_BROKERS ? undefined : await KafkaMockCluster.start({ topics: [{ name: topic, partitions: 4 }] });
  const brokers = mock ? [...mock.brokers] : process.env.KAFKA_BROKERS!.split(',');
  try {
    const raw = parseTopology(JSON.stringify({
      agents: {
        bench: {
          drainTimeout: '60s',
          sources: { seq: { type: 'seq', count: EVENTS, batchSize: 1000, bodySize: BODY, channels: ['kc'], interceptors: [{ type: 'timestamp' }] } },
          channels: {
            kc: {
              type: 'kafka', brokers, topic, groupId: `${topic}-group`, idempotent: mock === undefined,
              sessionTimeout: '6s', heartbeatInterval: '1s', fetchMaxWait: '100ms',
            },
          },
          sinks: { out: { type: 'latency_null', channel: 'kc', batchSize: 1000 } },
        },
      },
    }));
    const latencies: number[] = [];
    const { agent } = await benchAgent(raw, 'bench', { extraPlugins: [latencySinkPlugin(latencies)] });
    await agent.start();
    const rss = trackPeakRss();
    const started = process.hrtime.bigint();
    const sink = sinkMetrics(agent, 'out');
    await drained(sink, EVENTS);
    const elapsed = process.hrtime.bigint() - started;
    const peak = rss.stop();
    await agent.stop(1000);
    const p99 = percentile99(latencies);
    return result('kafka', EVENTS, EVENTS * BODY, elapsed, peak, {
      p99LatencyMs: p99,
      cluster: mock ? 'librdkafka mock (1 broker, 4 partitions)' : 'KAFKA_BROKERS',
      note: 'p99LatencyMs: per sink batch, from the seq source stamping its first event to the sink taking it, pipeline saturated (includes the backlog in the topic); the mock is no performance reference',
    });
  } finally {
    await mock?.stop();
  }
}
