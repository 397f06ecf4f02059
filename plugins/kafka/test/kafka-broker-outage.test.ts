import { expect } from 'chai';
import { BatchSink, defineComponent, definePlugin, type SluiceEvent } from '@sluice/core';
import { eventually, runAgent, type RunningAgent, requirePeers } from '@sluice/testkit';
import { startKafkaTestCluster, uniqueName, type KafkaTestCluster } from './helpers/test-cluster.js';

/** A sink that remembers the sequence numbers it received (an event's body starts with its number). */
function collectingPlugin(seen: Set<number>, received: { count: number }) {
  class CollectingSink extends BatchSink {
    protected async write(events: SluiceEvent[]): Promise<void> {
      for (const event of events) seen.add(Number.parseInt(event.body.toString('latin1'), 10));
      received.count += events.length;
    }
  }
  return definePlugin({
    name: 'kafka-outage-test',
    core: '^0.1.0',
    components: [defineComponent<'sink', { batchSize: number }>({
      kind: 'sink', type: 'collect', description: 'Collects sequence numbers.', guarantee: 'Test only.',
      schema: { type: 'object', additionalProperties: false, properties: { batchSize: { type: 'integer', default: 100, description: 'Batch.' } }, required: ['batchSize'] },
      create: (config, ctx) => new CollectingSink(ctx, config.batchSize),
    })],
  });
}

describe('kafka channel through a broker outage @slow', function () {
  before(function () { requirePeers(this, 'kafka'); });
  this.timeout(90000);
  let cluster: KafkaTestCluster;
  let agent: RunningAgent | undefined;
  before(async function () {
    if (process.env.KAFKA_BROKERS) this.skip(); // needs the mock's broker_set_down/up
    cluster = await startKafkaTestCluster();
  });
  after(async () => {
    await agent?.stop(1000);
    await cluster?.stop();
  });

  it('delivers every sequence number at least once when the broker goes down mid-stream and comes back', async () => {
    const count = 40000;
    const topic = uniqueName('outage');
    await cluster.createTopic(topic, 2);
    const seen = new Set<number>();
    const received = { count: 0 };
    agent = await runAgent({
      agents: {
        a1: {
          sources: { seq: { type: 'seq', count, batchSize: 100, channels: ['kc'] } },
          channels: {
            kc: {
              type: 'kafka', brokers: [...cluster.brokers], topic, groupId: uniqueName('group'), idempotent: false,
              sessionTimeout: '6s', heartbeatInterval: '500ms', fetchMaxWait: '100ms', connectionTimeout: '1s', requestTimeout: '5s',
              retry: { retries: 2, initialDelay: '100ms', maxDelay: '1s' },
            },
          },
          sinks: { out: { type: 'collect', channel: 'kc', batchSize: 100 } },
        },
      },
    }, { plugins: [collectingPlugin(seen, received)] });
    await eventually(() => received.count >= 500, 'the first events through the channel');
    await cluster.mock!.brokerDown(1);
    const atOutage = seen.size;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await cluster.mock!.brokerUp(1);
    await eventually(() => seen.size === count, `all ${count} sequence numbers at the sink`, 75000);
    expect(atOutage, 'the outage happened mid-stream').to.be.below(count);
    const missing = Array.from({ length: count }, (_, i) => i).filter((n) => !seen.has(n));
    expect(missing).to.deep.equal([]);
    expect(agent.metrics('seq').get('ChannelWriteFail') + agent.metrics('kc').get('EventPutErrorCount'), 'commits failed during the outage').to.be.above(0);
    await agent.stop(1000);
    agent = undefined;
  });

  it('kafka sink -> topic -> kafka source recover by themselves: every sequence number arrives at least once', async () => {
    const count = 20000;
    const channelTopic = uniqueName('outage-channel');
    const relayTopic = uniqueName('outage-relay');
    await cluster.createTopic(channelTopic, 1);
    await cluster.createTopic(relayTopic, 2);
    const seen = new Set<number>();
    const received = { count: 0 };
    const connection = {
      brokers: [...cluster.brokers], connectionTimeout: '1s', requestTimeout: '5s', retry: { retries: 2, initialDelay: '100ms', maxDelay: '1s' },
    };
    const group = { sessionTimeout: '6s', heartbeatInterval: '500ms', fetchMaxWait: '100ms' };
    agent = await runAgent({
      agents: {
        a1: {
          sources: {
            seq: { type: 'seq', count, batchSize: 100, channels: ['kc'] },
            relayed: { type: 'kafka', ...connection, ...group, topics: [relayTopic], groupId: uniqueName('group'), autoOffsetReset: 'earliest', batchSize: 200, maxBackoff: '500ms', channels: ['mem'] },
          },
          channels: {
            kc: { type: 'kafka', ...connection, ...group, topic: channelTopic, groupId: uniqueName('group'), idempotent: false },
            mem: { type: 'memory', capacity: 1000, transactionCapacity: 200 },
          },
          sinks: {
            relay: { type: 'kafka', ...connection, channel: 'kc', topic: relayTopic, batchSize: 200, timeout: '5s' },
            out: { type: 'collect', channel: 'mem', batchSize: 100 },
          },
        },
      },
    }, { plugins: [collectingPlugin(seen, received)] });
    await eventually(() => received.count >= 500, 'the first events through channel, sink, topic and source', 30000);
    await cluster.mock!.brokerDown(1);
    const atOutage = seen.size;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await cluster.mock!.brokerUp(1);
    await eventually(() => seen.size === count, `all ${count} sequence numbers at the sink`, 75000);
    expect(atOutage, 'the outage happened mid-stream').to.be.below(count);
  });
});
