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

  it('warns about a Java client key kafkajs has no equivalent for, and refuses it with strict', async () => {
    const text = `${FLUME_PROPERTIES}\na1.channels.kc.kafka.consumer.no.such.key = 1\na1.sinks.out.kafka.producer.linger.ms = 5\n`;
    const { warnings } = await loadTopology(parseTopology(text, 'flume.properties'), { agent: 'a1' });
    expect(warnings.map((w) => w.key)).to.have.members(['a1.channels.kc.kafka.consumer.no.such.key', 'a1.sinks.out.kafka.producer.linger.ms']);
    expect(warnings[0]!.message).to.contain('kafkajs has no equivalent');
    let failure: unknown;
    try {
      await loadTopology(parseTopology(text, 'flume.properties'), { agent: 'a1', strict: true });
    } catch (error) {
      failure = error;
    }
    expect((failure as { code?: string }).code).to.equal('SLUICE_CONFIG_INVALID');
    expect(JSON.stringify((failure as { problems?: unknown }).problems)).to.contain('a1.sinks.out.kafka.producer.linger.ms');
  });

  it('honours the deprecated Flume 1.6 names brokerList, topic, requiredAcks and batchSize with a warning each', async () => {
    const { model, warnings } = await loadTopology(parseTopology(`a1.sources = s
a1.channels = c
a1.sinks = k
a1.sources.s.type = seq
a1.sources.s.channels = c
a1.channels.c.type = memory
a1.sinks.k.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k.channel = c
a1.sinks.k.brokerList = b1:9092,b2:9092
a1.sinks.k.topic = legacy
a1.sinks.k.requiredAcks = -1
a1.sinks.k.batchSize = 50
`, 'flume.properties'));
    expect(model.agents.a1!.sinks.k!.config).to.include({ topic: 'legacy', acks: 'all', batchSize: 50 });
    expect(model.agents.a1!.sinks.k!.config.brokers).to.deep.equal(['b1:9092', 'b2:9092']);
    expect(warnings.map((w) => w.key)).to.have.members(['a1.sinks.k.brokerList', 'a1.sinks.k.topic', 'a1.sinks.k.requiredAcks', 'a1.sinks.k.batchSize']);
  });

  it('refuses zookeeperConnect without brokers, pointing to kafka.bootstrap.servers; ignores it (warned) beside them', async () => {
    const flume = (extra: string): string => `a1.sources = s\na1.channels = c\na1.sinks = k\na1.sources.s.type = org.apache.flume.source.kafka.KafkaSource\na1.sources.s.channels = c\na1.sources.s.kafka.topics = t\na1.sources.s.batchSize = 100\na1.sources.s.zookeeperConnect = zk:2181\n${extra}a1.channels.c.type = memory\na1.sinks.k.type = null\na1.sinks.k.channel = c\n`;
    let failure: { problems?: { key?: string; hint?: string }[] } | undefined;
    await loadTopology(parseTopology(flume(''), 'flume.properties')).catch((error: typeof failure) => (failure = error));
    const refused = failure?.problems?.find((p) => p.key === 'a1.sources.s.zookeeperConnect');
    expect(refused?.hint).to.contain('kafka.bootstrap.servers');
    const { warnings } = await loadTopology(parseTopology(flume('a1.sources.s.kafka.bootstrap.servers = b:9092\n'), 'flume.properties'));
    expect(warnings.map((w) => w.key)).to.include('a1.sources.s.zookeeperConnect');
  });
});
