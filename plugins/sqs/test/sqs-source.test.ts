import { expect } from 'chai';
import { sourceSuite, eventually } from '@sluice/testkit';
import { createComponentContext, SluiceError, type SluiceEvent, type SourceContext } from '@sluice/core';
import { sqsSource, type SqsSource, type SqsSourceConfig } from '../src/index.js';
import { configOf } from './config-of.js';
import { SqsProxy } from './helpers/sqs-proxy.js';
import { startSqsPeer, type SqsPeer } from './sqs-peer.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('sqs source', function () {
  this.timeout(30000);
  let peer: SqsPeer;
  let proxy: SqsProxy | undefined;
  before(async () => {
    peer = await startSqsPeer();
    if (peer.local) proxy = await SqsProxy.start(peer.endpoint);
  });
  after(async () => {
    await proxy?.close();
    await peer?.close();
  });

  describe('conformance', () => {
    const queues = new WeakMap<object, string>();
    let n = 0;
    sourceSuite({
      capabilities: { backpressure: true },
      async factory(ctx) {
        const queueUrl = await peer.createQueue(`source-${n++}`);
        const source = sqsSource.create(configOf<SqsSourceConfig>(sqsSource, { ...peer.aws(), queueUrl, waitTime: '1s' }), ctx);
        queues.set(source, queueUrl);
        return source;
      },
      async produce(source, bodies) {
        await peer.send(queues.get(source)!, bodies);
      },
    });
  });

  describe('delivery', () => {
    let source: SqsSource | undefined;
    afterEach(async () => {
      if (proxy) proxy.down = false;
      await source?.stop();
      source = undefined;
    });

    /** Starts a source whose deliver is `deliver` (instead of a channel processor). */
    async function startSource(values: Partial<SqsSourceConfig>, deliver: (events: SluiceEvent[]) => Promise<void>): Promise<{ source: SqsSource; ctx: SourceContext }> {
      const ctx: SourceContext = { ...createComponentContext({ name: 'in', kind: 'SOURCE' }), deliver };
      source = sqsSource.create(configOf<SqsSourceConfig>(sqsSource, { ...peer.aws(), waitTime: '1s', ...values }), ctx) as SqsSource;
      await source.start();
      return { source, ctx };
    }

    it('turns message attributes and SentTimestamp, ApproximateReceiveCount, MessageGroupId into headers', async () => {
      const queueUrl = await peer.createQueue('headers-in', { fifo: true });
      const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
      await peer.client.send(new SendMessageCommand({
        QueueUrl: queueUrl, MessageBody: 'hello', MessageGroupId: 'g1', MessageDeduplicationId: 'd1',
        MessageAttributes: { host: { DataType: 'String', StringValue: 'web-1' }, size: { DataType: 'Number', StringValue: '42' }, raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2]) } },
      }));
      const got: SluiceEvent[] = [];
      await startSource({ queueUrl }, async (events) => { got.push(...events); });
      await eventually(() => got.length === 1, 'one event');
      const headers = got[0]!.headers;
      expect(got[0]!.body.toString()).to.equal('hello');
      expect(headers).to.include({ host: 'web-1', size: '42', raw: 'AQI=', 'sqs.approximateReceiveCount': '1', 'sqs.messageGroupId': 'g1', 'sqs.messageDeduplicationId': 'd1' });
      expect(Number(headers['sqs.sentTimestamp'])).to.be.closeTo(Date.now(), 60000);
      expect(headers.timestamp).to.equal(headers['sqs.sentTimestamp']);
      expect(headers['sqs.messageId']).to.be.a('string');
    });

    it('makes a refused batch visible again at once and never deletes it', async () => {
      // A visibility timeout of 10 minutes: only an explicit release makes the messages visible within the test.
      const queueUrl = await peer.createQueue('refused', { visibilityTimeout: 600 });
      await peer.send(queueUrl, ['r1', 'r2', 'r3']);
      let attempts = 0;
      // One poller, so no long poll is in flight to race with the stop below.
      const { ctx } = await startSource({ queueUrl, visibilityTimeout: '600s', maxBackoff: '200ms', pollers: 1 }, async () => {
        attempts++;
        throw new SluiceError('SLUICE_CHANNEL_FULL', 'full');
      });
      // Re-received within a second although the queue hides received messages for 10 minutes: released at once.
      await eventually(() => attempts >= 3, 'three refused deliveries');
      await source!.stop();
      source = undefined;
      const depth = await peer.depth(queueUrl);
      expect(depth.visible + depth.inFlight, 'messages still in the queue').to.equal(3);
      expect(ctx.metrics.snapshot().SqsReleaseCount).to.be.at.least(3);
      expect(ctx.metrics.snapshot().SqsDeleteCount).to.equal(0);
    });

    it('extends the visibility timeout while a slow commit is pending, then deletes the batch', async () => {
      const queueUrl = await peer.createQueue('slow');
      await peer.send(queueUrl, ['slow-1']);
      let delivered = 0;
      const { ctx } = await startSource({ queueUrl, visibilityTimeout: '2s' }, async (events) => {
        await sleep(4500);
        delivered += events.length;
      });
      await sleep(3000);
      expect(await peer.receive(queueUrl, 10, 1), 'hidden after its first visibility timeout ended').to.have.length(0);
      await eventually(() => delivered === 1, 'the slow delivery', 10000);
      await eventually(async () => (await peer.depth(queueUrl)).inFlight === 0, 'the delete');
      expect(await peer.depth(queueUrl)).to.deep.equal({ visible: 0, inFlight: 0 });
      expect(delivered).to.equal(1);
      expect(ctx.metrics.snapshot().SqsVisibilityExtendCount).to.be.greaterThan(0);
    });

    it('retries deletes that failed for some entries and counts them; nothing is delivered twice', async function () {
      if (!proxy) this.skip();
      const queueUrl = await peer.createQueue('partial-delete', { visibilityTimeout: 600 });
      await peer.send(queueUrl, Array.from({ length: 10 }, (_, i) => `d${i}`));
      proxy!.failEntries('DeleteMessageBatch', 4);
      const got: string[] = [];
      const { ctx } = await startSource({ queueUrl, endpoint: proxy!.url, pollers: 1 }, async (events) => { got.push(...events.map((e) => e.body.toString())); });
      await eventually(async () => got.length === 10 && (await peer.depth(queueUrl)).inFlight === 0, 'all delivered and deleted');
      expect(ctx.metrics.snapshot().SqsEntryRetryCount).to.equal(4);
      expect(ctx.metrics.snapshot().SqsDeleteFailCount).to.equal(0);
      await sleep(200);
      expect(got.sort()).to.deep.equal(Array.from({ length: 10 }, (_, i) => `d${i}`).sort());
    });

    it('counts deletes that keep failing; those messages come back after their visibility timeout (a duplicate, not a loss)', async function () {
      if (!proxy) this.skip();
      const queueUrl = await peer.createQueue('failed-delete', { visibilityTimeout: 1 });
      await peer.send(queueUrl, ['x1', 'x2']);
      proxy!.failNext('DeleteMessageBatch', 3);
      const got: string[] = [];
      const { ctx } = await startSource({ queueUrl, endpoint: proxy!.url, pollers: 1, maxAttempts: 1, visibilityTimeout: '1s' }, async (events) => { got.push(...events.map((e) => e.body.toString())); });
      await eventually(async () => got.length >= 4 && (await peer.depth(queueUrl)).visible + (await peer.depth(queueUrl)).inFlight === 0, 'a redelivery, then the delete', 15000);
      expect(ctx.metrics.snapshot().SqsDeleteFailCount).to.equal(2);
      expect([...new Set(got)].sort()).to.deep.equal(['x1', 'x2']);
    });

    it('FIFO: keeps each message group in order into the channel with several pollers', async () => {
      const queueUrl = await peer.createQueue('fifo-order', { fifo: true });
      for (let i = 0; i < 20; i++) for (const g of ['a', 'b', 'c']) await peer.send(queueUrl, [`${g}:${i}`], g);
      const got: string[] = [];
      await startSource({ queueUrl, pollers: 3 }, async (events) => {
        await sleep(Math.random() * 20);
        got.push(...events.map((e) => e.body.toString()));
      });
      await eventually(() => got.length === 60, '60 events', 20000);
      for (const g of ['a', 'b', 'c']) {
        expect(got.filter((b) => b.startsWith(`${g}:`))).to.deep.equal(Array.from({ length: 20 }, (_, i) => `${g}:${i}`));
      }
    });

    it('check() reports a queueUrl that is not a URL and half-given credentials', () => {
      const problems = sqsSource.check!(configOf<SqsSourceConfig>(sqsSource, { queueUrl: 'not a url', accessKeyId: 'AKIA' }));
      expect(problems.map((p) => p.path)).to.deep.equal(['/queueUrl', '/secretAccessKey']);
    });
  });
});
