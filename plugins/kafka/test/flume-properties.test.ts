import { expect } from 'chai';
import { parseTopology } from '@sluice/config';
import { loadTopology } from '@sluice/agent';

/** Flume 1.11 keys of the three Kafka components, as a Flume user would write them. */
const FLUME_PROPERTIES = `
a1.sources = k
a1.channels = kc
a1.sinks = out

a1.sources.k.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.k.kafka.bootstrap.servers = kafka1:9092,kafka2:9092
a1.sources.k.kafka.topics = logs, metrics
a1.sources.k.kafka.consumer.group.id = collectors
a1.sources.k.batchSize = 500
a1.sources.k.kafka.consumer.auto.offset.reset = earliest
a1.sources.k.channels = kc

a1.channels.kc.type = org.apache.flume.channel.kafka.KafkaChannel
a1.channels.kc.kafka.bootstrap.servers = kafka1:9092
a1.channels.kc.kafka.topic = channel-topic
a1.channels.kc.kafka.consumer.group.id = channel-group
a1.channels.kc.parseAsFlumeEvent = false
a1.channels.kc.pollTimeout = 250
a1.channels.kc.kafka.producer.security.protocol = SASL_SSL
a1.channels.kc.kafka.producer.sasl.mechanism = SCRAM-SHA-512

a1.sinks.out.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.out.channel = kc
a1.sinks.out.kafka.bootstrap.servers = kafka2:9092
a1.sinks.out.kafka.topic = archive
a1.sinks.out.flumeBatchSize = 20
a1.sinks.out.kafka.producer.acks = 1
a1.sinks.out.kafka.producer.compression.type = gzip
a1.sinks.out.allowTopicOverride = false
`;

describe('kafka components from Flume .properties', () => {
  it('translates the kafka.* keys of KafkaSource, KafkaChannel and KafkaSink', async () => {
    const { model } = await loadTopology(parseTopology(FLUME_PROPERTIES, 'flume.properties'), { agent: 'a1' });
    const agent = model.agents.a1!;
    expect(agent.sources.k!.config).to.include({ groupId: 'collectors', batchSize: 500, autoOffsetReset: 'earliest' });
    expect(agent.sources.k!.config.brokers).to.deep.equal(['kafka1:9092', 'kafka2:9092']);
    expect(agent.sources.k!.config.topics).to.deep.equal(['logs', 'metrics']);
    expect(agent.channels.kc!.config).to.include({ topic: 'channel-topic', groupId: 'channel-group', parseAsFlumeEvent: false, pollTimeout: '250ms' });
    expect(agent.channels.kc!.config.ssl).to.include({ enabled: true });
    expect(agent.channels.kc!.config.sasl).to.include({ mechanism: 'scram-sha-512' });
    expect(agent.sinks.out!.config).to.include({ topic: 'archive', batchSize: 20, acks: 'leader', compression: 'gzip', topicHeader: '' });
  });

  it('reports an unknown Flume key as a problem instead of ignoring it', async () => {
    let failure: unknown;
    try {
      await loadTopology(parseTopology(`${FLUME_PROPERTIES}\na1.channels.kc.kafka.consumer.no.such.key = 1\n`, 'flume.properties'), { agent: 'a1' });
    } catch (error) {
      failure = error;
    }
    expect((failure as { code?: string }).code).to.equal('SLUICE_CONFIG_INVALID');
    expect(JSON.stringify((failure as { problems?: unknown }).problems)).to.contain('/agents/a1/channels/kc');
  });
});
