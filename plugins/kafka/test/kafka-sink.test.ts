import { expect } from 'chai';
import { createHarness, sinkSuite, type SuiteHarness, requirePeers } from '@sluice/testkit';
import { createEvent, errorCode, type SinkContext } from '@sluice/core';
import { kafkaSink, type KafkaSink, type KafkaSinkConfig } from '../src/index.js';
import { kcatConsume } from './helpers/kcat.js';
import { configOf, startKafkaTestCluster, uniqueName, type KafkaTestCluster } from './helpers/test-cluster.js';

/** Fail fast while the broker is down so a test sees the rollback quickly. */
const FAST_FAILURE = { connectionTimeout: '1s', requestTimeout: '3s', retry: { retries: 1, initialDelay: '100ms', maxDelay: '500ms' } };

describe('kafka sink', function () {
  before(function () { requirePeers(this, 'kafka', 'kcat'); });
  this.timeout(30000);
  let cluster: KafkaTestCluster;
  before(async () => {
    cluster = await startKafkaTestCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  function createSink(ctx: SinkContext, config: Record<string, unknown>): KafkaSink {
    return kafkaSink.create(configOf<KafkaSinkConfig>(kafkaSink, { brokers: [...cluster.brokers], ...FAST_FAILURE, ...config }), ctx) as KafkaSink;
  }

  describe('conformance', () => {
    let topic = '';
    sinkSuite({
      capabilities: { failureInjection: process.env.KAFKA_BROKERS === undefined },
      async factory(ctx) {
        topic = uniqueName('sink');
        await cluster.createTopic(topic, 1);
        return createSink(ctx, { topic, batchSize: 50 });
      },
      async readBack() {
        return (await kcatConsume(cluster.bootstrap, topic)).map((r) => r.payload ?? '');
      },
      breakDestination: () => cluster.mock!.brokerDown(1),
      healDestination: async () => {
        await cluster.mock?.brokerUp(1);
      },
    });
  });

  describe('read back by kcat', () => {
    let harness: SuiteHarness;
    let sink: KafkaSink | undefined;
    beforeEach(async () => {
      harness = await createHarness();
    });
    afterEach(async () => {
      await sink?.stop();
      await harness.close();
    });

    async function drain(): Promise<void> {
      while (harness.channel.size > 0) await sink!.process();
    }

    it('writes bodies, the key header as the record key and every header as a record header', async () => {
      const topic = uniqueName('sink-headers');
      await cluster.createTopic(topic, 3);
      sink = createSink(harness.sinkContext(), { topic });
      await sink.start();
      const tx = harness.channel.transaction();
      tx.put([
        createEvent('first body', { key: 'user-1', host: 'web-1', 'unicode-é': 'välue ✓' }),
        createEvent('second body', { key: 'user-1', host: 'web-2' }),
        createEvent('no key', {}),
      ]);
      await tx.commit();
      await drain();
      const records = await kcatConsume(cluster.bootstrap, topic);
      const byBody = new Map(records.map((r) => [r.payload, r]));
      expect([...byBody.keys()].sort()).to.deep.equal(['first body', 'no key', 'second body']);
      expect(byBody.get('first body')!.key).to.equal('user-1');
      expect(byBody.get('first body')!.headers).to.deep.equal({ key: 'user-1', host: 'web-1', 'unicode-é': 'välue ✓' });
      expect(byBody.get('second body')!.partition, 'equal keys share a partition').to.equal(byBody.get('first body')!.partition);
      expect(byBody.get('no key')!.key).to.equal(null);
      expect(byBody.get('no key')!.headers).to.deep.equal({});
    });

    it('picks the partition from partitionHeader, over the key', async () => {
      const topic = uniqueName('sink-partition');
      await cluster.createTopic(topic, 3);
      sink = createSink(harness.sinkContext(), { topic, partitionHeader: 'part' });
      await sink.start();
      const tx = harness.channel.transaction();
      tx.put([createEvent('to 2', { part: '2', key: 'k' }), createEvent('to 0', { part: '0', key: 'k' }), createEvent('also to 2', { part: '2' })]);
      await tx.commit();
      await drain();
      const records = await kcatConsume(cluster.bootstrap, topic);
      expect(records.map((r) => `${r.partition}:${r.payload}`).sort()).to.deep.equal(['0:to 0', '2:also to 2', '2:to 2']);
    });

    it('routes by the topic header, falling back to the configured topic, with gzip compression', async () => {
      const fallback = uniqueName('sink-fallback');
      const routed = uniqueName('sink-routed');
      await cluster.createTopic(fallback, 1);
      await cluster.createTopic(routed, 1);
      sink = createSink(harness.sinkContext(), { topic: fallback, compression: 'gzip', recordHeaders: false });
      await sink.start();
      const tx = harness.channel.transaction();
      tx.put([createEvent('to routed', { topic: routed }), createEvent('to fallback'), createEvent('to routed again', { topic: routed })]);
      await tx.commit();
      await drain();
      expect((await kcatConsume(cluster.bootstrap, routed)).map((r) => r.payload)).to.deep.equal(['to routed', 'to routed again']);
      const fallbackRecords = await kcatConsume(cluster.bootstrap, fallback);
      expect(fallbackRecords.map((r) => r.payload)).to.deep.equal(['to fallback']);
      expect(fallbackRecords[0]!.headers, 'recordHeaders: false sends no headers').to.deep.equal({});
    });

    it('reports a record Kafka refuses as SLUICE_EVENT_REJECTED and a transient failure as SLUICE_DELIVERY_FAILED, rolling back both', async function () {
      if (!cluster.mock) this.skip(); // injects broker errors through the mock's API
      const topic = uniqueName('sink-errors');
      await cluster.createTopic(topic, 1);
      sink = createSink(harness.sinkContext(), { topic, batchSize: 10 });
      await sink.start();
      const tx = harness.channel.transaction();
      tx.put([createEvent('refused'), createEvent('retried')]);
      await tx.commit();
      const PRODUCE = 0;
      const MESSAGE_TOO_LARGE = 10;
      const NOT_ENOUGH_REPLICAS = 19;
      const failureOf = async (): Promise<unknown> => sink!.process().then(() => undefined, (error: unknown) => error);
      await cluster.mock.pushRequestErrors(PRODUCE, 1, MESSAGE_TOO_LARGE);
      expect(errorCode(await failureOf())).to.equal('SLUICE_EVENT_REJECTED');
      await cluster.mock.pushRequestErrors(PRODUCE, 5, NOT_ENOUGH_REPLICAS);
      expect(errorCode(await failureOf())).to.equal('SLUICE_DELIVERY_FAILED');
      expect(harness.channel.size, 'both batches rolled back').to.equal(2);
      // Like the sink runner: retry until the injected errors are used up.
      for (let attempt = 0; attempt < 10 && harness.channel.size > 0; attempt++) await sink.process().catch(() => undefined);
      expect((await kcatConsume(cluster.bootstrap, topic)).map((r) => r.payload)).to.deep.equal(['refused', 'retried']);
    });

    it('fails to start with SLUICE_COMPONENT_START when a compression codec package is missing', async () => {
      sink = createSink(harness.sinkContext(), { topic: 'unused', compression: 'zstd' });
      let failure: unknown;
      await sink.start().catch((error: unknown) => { failure = error; });
      expect(errorCode(failure)).to.equal('SLUICE_COMPONENT_START');
      sink = undefined;
    });
  });
});
