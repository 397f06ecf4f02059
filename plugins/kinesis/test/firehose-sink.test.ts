import { expect } from 'chai';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { createComponentContext, createEvent, errorCode, memoryChannel, type MemoryChannel, type SluiceEvent } from '@sluice/core';
import { createHarness, putAll, sinkSuite } from '@sluice/testkit';
import { FirehoseSink, type FirehoseSinkConfig } from '../src/index.js';
import { startFirehosePeer, type FirehosePeer } from './firehose-peer.js';

function config(peer: FirehosePeer, deliveryStreamName: string, overrides: Partial<FirehoseSinkConfig> = {}): FirehoseSinkConfig {
  return {
    deliveryStreamName, batchSize: 500, appendNewline: true, retryTimeout: '30s', maxBackoff: '200ms',
    region: peer.region, endpoint: peer.endpoint, profile: '', accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey, sessionToken: '',
    maxAttempts: 1, requestTimeout: '5s',
    ...overrides,
  };
}

const seq = (from: number, n: number): SluiceEvent[] => Array.from({ length: n }, (_, i) => createEvent(`event-${from + i}`));

describe('firehose sink @slow', function () {
  this.timeout(60000);
  let peer: FirehosePeer;
  before(async () => { peer = await startFirehosePeer(); });
  after(async () => { await peer.close(); });

  /** The lines Firehose delivered to S3 for `stream` (after making the test server flush). */
  async function lines(stream: string): Promise<string[]> {
    await peer.server?.flush();
    return (await peer.objects(stream)).flatMap((o) => o.body.toString().split('\n').slice(0, -1));
  }

  async function run(stream: string, events: SluiceEvent[], overrides: Partial<FirehoseSinkConfig> = {}): Promise<FirehoseSink> {
    const harness = await createHarness();
    const sink = new FirehoseSink(config(peer, stream, overrides), harness.sinkContext('fh'));
    await sink.start();
    await putAll(harness, events);
    while (harness.channel.size > 0) await sink.process();
    await sink.stop();
    await harness.close();
    return sink;
  }

  describe('conformance', () => {
    let stream = '';
    beforeEach(async () => { stream = await peer.createDeliveryStream(); });
    sinkSuite({
      factory: (ctx) => new FirehoseSink(config(peer, stream), ctx),
      readBack: () => lines(stream),
      breakDestination: async () => peer.server!.pause(),
      healDestination: async () => peer.server?.resume(),
      capabilities: { failureInjection: !process.env.FIREHOSE_ENDPOINT },
    });
  });

  it('delivers every record into S3 with a newline after each, in order', async () => {
    const stream = await peer.createDeliveryStream();
    await run(stream, seq(0, 1200), { batchSize: 700 });
    expect(await lines(stream)).to.deep.equal(seq(0, 1200).map((e) => e.body.toString()));
  });

  it('without appendNewline the bytes go as they are (Firehose adds no delimiter)', async () => {
    const stream = await peer.createDeliveryStream();
    await run(stream, [createEvent('a'), createEvent('b'), createEvent('c\n')], { appendNewline: false });
    await peer.server?.flush();
    expect(Buffer.concat((await peer.objects(stream)).map((o) => o.body)).toString()).to.equal('abc\n');
  });

  it('sends PutRecordBatch calls of at most 500 records and 4 MiB', async function () {
    if (!peer.server) this.skip();
    const stream = await peer.createDeliveryStream({ SizeInMBs: 128, IntervalInSeconds: 900 });
    const before = peer.server!.batchCalls.length;
    const big = 'x'.repeat(900 * 1024);
    await run(stream, [...Array.from({ length: 6 }, (_, i) => createEvent(`${i}${big}`)), ...seq(0, 600)], { batchSize: 1000 });
    // 4 records of 900 KiB + newline fill 4 MiB; then 2 big and 498 small; then 102.
    expect(peer.server!.batchCalls.slice(before)).to.deep.equal([4, 500, 102]);
    expect(await lines(stream)).to.have.length(606);
  });

  it('retries only the entries a call refused (ServiceUnavailableException)', async function () {
    if (!peer.server) this.skip();
    const stream = await peer.createDeliveryStream();
    peer.server!.refuseRecords(3, (i) => i % 4 === 1);
    const sink = await run(stream, seq(0, 400));
    const got = await lines(stream);
    expect(got.slice().sort(), 'each record exactly once').to.deep.equal(seq(0, 400).map((e) => e.body.toString()).sort());
    expect((sink as unknown as { ctx: { metrics: { get(n: string): number } } }).ctx.metrics.get('FirehoseRecordsRetried')).to.be.greaterThan(100);
  });

  it('rolls back with SLUICE_DELIVERY_FAILED when entries are still refused after retryTimeout', async function () {
    if (!peer.server) this.skip();
    const stream = await peer.createDeliveryStream();
    const harness = await createHarness();
    const sink = new FirehoseSink(config(peer, stream, { retryTimeout: '300ms', maxBackoff: '100ms' }), harness.sinkContext('fh'));
    await sink.start();
    await putAll(harness, seq(0, 5));
    peer.server!.refuseRecords(1000, (i) => i === 0);
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    peer.server!.refuseRecords(0, () => false);
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    expect(harness.channel.size).to.equal(5);
    expect(await sink.process()).to.equal('ready');
    await sink.stop();
    await harness.close();
    expect(new Set(await lines(stream))).to.deep.equal(new Set(seq(0, 5).map((e) => e.body.toString())));
  });

  it('moves records over 1,000 KiB to the dead-letter channel and delivers the rest', async () => {
    const stream = await peer.createDeliveryStream();
    const dead = memoryChannel.create({ capacity: 10, transactionCapacity: 10, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'dlq', kind: 'CHANNEL' })) as MemoryChannel;
    await dead.start();
    const harness = await createHarness();
    const ctx = { ...harness.sinkContext('fh'), deadLetter: { name: 'dlq', channel: dead, after: 1 } };
    const sink = new FirehoseSink(config(peer, stream), ctx);
    await sink.start();
    // 1,024,000 bytes plus the newline is one byte too many.
    await putAll(harness, [createEvent('first'), createEvent(Buffer.alloc(1000 * 1024, 'z'), { big: 'yes' }), createEvent('last')]);
    expect(await sink.process()).to.equal('ready');
    const dtx = dead.transaction();
    const moved = await dtx.take(10);
    await dtx.commit();
    expect(moved.map((e) => e.headers.big)).to.deep.equal(['yes']);
    expect(moved[0]!.headers['sluice.deadletter.code']).to.equal('SLUICE_EVENT_REJECTED');
    await sink.stop();
    await harness.close();
    await dead.stop();
    expect(await lines(stream)).to.deep.equal(['first', 'last']);
  });

  it('fails with SLUICE_EVENT_REJECTED when the delivery stream does not exist', async () => {
    const harness = await createHarness();
    const sink = new FirehoseSink(config(peer, 'no-such-delivery-stream'), harness.sinkContext('fh'));
    await sink.start();
    await putAll(harness, seq(0, 2));
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    expect(errorCode(error)).to.equal('SLUICE_EVENT_REJECTED');
    expect((error as Error).message).to.include('ResourceNotFoundException');
    await sink.stop();
    await harness.close();
  });

  describe('FirehoseTestServer', () => {
    it('buffers by size: a full 1 MiB buffer becomes an object at once', async function () {
      if (!peer.server) this.skip();
      const stream = await peer.createDeliveryStream({ SizeInMBs: 1, IntervalInSeconds: 900 });
      const line = `${'s'.repeat(1023)}`;
      await run(stream, Array.from({ length: 1100 }, () => createEvent(line)));
      const objects = await peer.waitForBytes(stream, 1024 * 1024);
      expect(objects.length).to.equal(1);
      expect(peer.server!.deliveries.filter((d) => d.deliveryStreamName === stream).map((d) => d.reason)).to.deep.equal(['size']);
      expect(objects[0]!.key).to.match(new RegExp(`^${stream}/\\d{4}/\\d{2}/\\d{2}/\\d{2}/${stream}-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}$`));
    });

    it('buffers by interval: a small buffer becomes an object after IntervalInSeconds', async function () {
      if (!peer.server) this.skip();
      const stream = await peer.createDeliveryStream({ SizeInMBs: 64, IntervalInSeconds: 1 });
      const started = Date.now();
      await run(stream, seq(0, 10));
      const objects = await peer.waitForBytes(stream, 1);
      expect(Date.now() - started).to.be.at.least(900);
      expect(objects[0]!.body.toString().split('\n').slice(0, -1)).to.deep.equal(seq(0, 10).map((e) => e.body.toString()));
      expect(peer.server!.deliveries.find((d) => d.deliveryStreamName === stream)!.reason).to.equal('interval');
    });

    it('answers a PutRecordBatch of 501 records with ValidationException, as Firehose does', async function () {
      if (!peer.server) this.skip();
      const stream = await peer.createDeliveryStream();
      const client = new FirehoseClient({ endpoint: peer.endpoint, region: peer.region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
      const error = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') })) })).then(() => undefined, (e: unknown) => e);
      client.destroy();
      expect((error as { name?: string }).name).to.equal('ValidationException');
    });
  });
});
