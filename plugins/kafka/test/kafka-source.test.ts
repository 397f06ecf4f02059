import { expect } from 'chai';
import { createHarness, eventually, sourceSuite, type SuiteHarness, requirePeers } from '@sluice/testkit';
import { createEvent, errorCode, type SluiceEvent, type SourceContext } from '@sluice/core';
import { kafkaSink, kafkaSource, type KafkaSink, type KafkaSinkConfig, type KafkaSource, type KafkaSourceConfig } from '../src/index.js';
import { kcatProduce } from './helpers/kcat.js';
import { configOf, FAST_GROUP, startKafkaTestCluster, uniqueName, type KafkaTestCluster } from './helpers/test-cluster.js';

describe('kafka source @slow', function () {
  before(function () { requirePeers(this, 'kafka', 'kcat'); });
  this.timeout(30000);
  let cluster: KafkaTestCluster;
  before(async () => {
    cluster = await startKafkaTestCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  function createSource(ctx: SourceContext, config: Record<string, unknown>): KafkaSource {
    return kafkaSource.create(configOf<KafkaSourceConfig>(kafkaSource, {
      brokers: [...cluster.brokers], groupId: uniqueName('group'), autoOffsetReset: 'earliest', ...FAST_GROUP, maxBackoff: '200ms', ...config,
    }), ctx) as KafkaSource;
  }

  describe('conformance', () => {
    const topicOf = new WeakMap<object, string>();
    sourceSuite({
      capabilities: { backpressure: true },
      async factory(ctx) {
        const topic = uniqueName('source');
        await cluster.createTopic(topic, 2);
        const source = createSource(ctx, { topics: [topic], batchSize: 20 });
        topicOf.set(source, topic);
        return source;
      },
      produce: (source, bodies) => kcatProduce(cluster.bootstrap, topicOf.get(source)!, bodies),
    });
  });

  describe('reads what kcat produces', () => {
    let harness: SuiteHarness;
    let source: KafkaSource | undefined;
    beforeEach(async () => {
      harness = await createHarness();
    });
    afterEach(async () => {
      await source?.stop();
      await harness.close();
    });

    async function takeUntil(count: number): Promise<SluiceEvent[]> {
      const got: SluiceEvent[] = [];
      await eventually(async () => {
        const tx = harness.channel.transaction();
        got.push(...(await tx.take(1000)));
        await tx.commit();
        return got.length >= count;
      }, `${count} events in the channel`);
      return got;
    }

    it('turns record key, headers, topic, partition, offset and timestamp into event headers', async () => {
      const topic = uniqueName('source-headers');
      await cluster.createTopic(topic, 1);
      source = createSource(harness.sourceContext(), { topics: [topic] });
      await source.start();
      const before = Date.now();
      await kcatProduce(cluster.bootstrap, topic, ['alpha', 'beta'], { key: 'user-7', headers: { host: 'web-1', 'unicode-é': 'välue ✓' } });
      const events = await takeUntil(2);
      expect(events.map((e) => e.body.toString())).to.deep.equal(['alpha', 'beta']);
      events.forEach((event, i) => {
        const { timestamp, ...headers } = event.headers;
        expect(headers).to.deep.equal({ host: 'web-1', 'unicode-é': 'välue ✓', key: 'user-7', topic, partition: '0', offset: String(i) });
        expect(Number(timestamp)).to.be.within(before - 60000, Date.now() + 60000);
      });
    });

    it('consumes every topic matching topicPattern', async () => {
      const prefix = uniqueName('pattern');
      await cluster.createTopic(`${prefix}-a`, 1);
      await cluster.createTopic(`${prefix}-b`, 1);
      await cluster.createTopic(`other-${prefix}`, 1);
      source = createSource(harness.sourceContext(), { topicPattern: `^${prefix}-` });
      await source.start();
      await kcatProduce(cluster.bootstrap, `${prefix}-a`, ['from a']);
      await kcatProduce(cluster.bootstrap, `other-${prefix}`, ['not matched']);
      await kcatProduce(cluster.bootstrap, `${prefix}-b`, ['from b']);
      const events = await takeUntil(2);
      expect(events.map((e) => `${e.headers.topic}:${e.body.toString()}`).sort()).to.deep.equal([`${prefix}-a:from a`, `${prefix}-b:from b`]);
    });

    it('resumes after the last committed batch when a new source joins the same group', async () => {
      const topic = uniqueName('source-resume');
      const groupId = uniqueName('group');
      await cluster.createTopic(topic, 1);
      source = createSource(harness.sourceContext(), { topics: [topic], groupId });
      await source.start();
      await kcatProduce(cluster.bootstrap, topic, ['one', 'two']);
      await takeUntil(2);
      await source.stop();
      await kcatProduce(cluster.bootstrap, topic, ['three']);
      source = createSource(harness.sourceContext(), { topics: [topic], groupId });
      await source.start();
      const events = await takeUntil(1);
      expect(events.map((e) => e.body.toString())).to.deep.equal(['three']);
    });

    it('with useFlumeEventFormat reads the headers and body of AvroFlumeEvent records the sink wrote, and delivers other records raw', async () => {
      const topic = uniqueName('source-flume-format');
      await cluster.createTopic(topic, 1);
      const upstream = await createHarness();
      let sink: KafkaSink | undefined;
      try {
        sink = kafkaSink.create(configOf<KafkaSinkConfig>(kafkaSink, { brokers: [...cluster.brokers], topic, useFlumeEventFormat: true, recordHeaders: false }), upstream.sinkContext()) as KafkaSink;
        await sink.start();
        const tx = upstream.channel.transaction();
        tx.put([createEvent(Buffer.from([0, 1, 2, 0xff]), { host: 'web-3', app: 'shop' })]);
        await tx.commit();
        await sink.process();
      } finally {
        await sink?.stop();
        await upstream.close();
      }
      await kcatProduce(cluster.bootstrap, topic, ['plain text']);
      source = createSource(harness.sourceContext(), { topics: [topic], useFlumeEventFormat: true });
      await source.start();
      const [flume, plain] = await takeUntil(2);
      expect(Buffer.compare(flume!.body, Buffer.from([0, 1, 2, 0xff]))).to.equal(0);
      expect(flume!.headers).to.include({ host: 'web-3', app: 'shop', topic, offset: '0' });
      expect(flume!.headers).to.not.have.property('sluice.decode.error');
      expect(plain!.body.toString()).to.equal('plain text');
      expect(plain!.headers).to.include({ 'sluice.decode.error': 'not an AvroFlumeEvent', offset: '1' });
    });

    it('refuses a config with neither topics nor topicPattern with SLUICE_CONFIG_INVALID', () => {
      let failure: unknown;
      try {
        createSource(harness.sourceContext(), {});
      } catch (error) {
        failure = error;
      }
      expect(errorCode(failure)).to.equal('SLUICE_CONFIG_INVALID');
    });
  });
});
