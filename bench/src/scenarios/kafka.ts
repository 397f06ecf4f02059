import { parseTopology } from '@sluice/config';
import { Agent, loadTopology } from '@sluice/agent';
import { KafkaMockCluster } from '@sluice/testkit';
import { result, trackPeakRss, type BenchResult } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const BODY = 256;

/**
 * seq -> kafka channel -> null through librdkafka's mock cluster (one broker, 4 partitions),
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
          sources: { seq: { type: 'seq', count: EVENTS, batchSize: 1000, bodySize: BODY, channels: ['kc'] } },
          channels: {
            kc: {
              type: 'kafka', brokers, topic, groupId: `${topic}-group`, idempotent: mock === undefined,
              sessionTimeout: '6s', heartbeatInterval: '1s', fetchMaxWait: '100ms', prefetch: 20000,
            },
          },
          sinks: { out: { type: 'null', channel: 'kc', batchSize: 1000 } },
        },
      },
    }));
    const { model, catalog } = await loadTopology(raw);
    const agent = new Agent(model.agents.bench!, catalog);
    await agent.start();
    const rss = trackPeakRss();
    const started = process.hrtime.bigint();
    const sink = agent.metrics.find((m) => m.kind === 'SINK' && m.name === 'out')!;
    while (sink.get('EventDrainSuccessCount') < EVENTS) await new Promise((resolve) => setTimeout(resolve, 5));
    const elapsed = process.hrtime.bigint() - started;
    const peak = rss.stop();
    await agent.stop(1000);
    return result('kafka', EVENTS, EVENTS * BODY, elapsed, peak, { cluster: mock ? 'librdkafka mock (1 broker, 4 partitions)' : 'KAFKA_BROKERS' });
  } finally {
    await mock?.stop();
  }
}
