import { createRequire } from 'node:module';
import { expect } from 'chai';
import { createComponentContext, createEvent, errorCode, memoryChannel, type MemoryChannel, type SluiceEvent } from '@sluice/core';
import { createHarness, putAll, sinkSuite } from '@sluice/testkit';
import { deaggregate, isAggregated, KinesisSink, kinesisSink, type KinesisSinkConfig } from '../src/index.js';
import { startKinesisPeer, type KinesisPeer } from './kinesis-peer.js';

/** awslabs' kinesis-aggregation library (aws-kinesis-agg): the reference de-aggregator. */
const agg = createRequire(import.meta.url)('aws-kinesis-agg') as {
  deaggregateSync(record: { data: string; partitionKey: string; sequenceNumber: string }, checksums: boolean, done: (err: Error | null, records?: { data: string; partitionKey: string; explicitPartitionKey?: string }[]) => void): void;
};

/** The user records of one Kinesis record, as aws-kinesis-agg de-aggregates them. */
function referenceDeaggregate(data: Uint8Array, partitionKey: string): { body: string; key: string; hashKey?: string }[] {
  let out: { body: string; key: string; hashKey?: string }[] = [];
  agg.deaggregateSync({ data: Buffer.from(data).toString('base64'), partitionKey, sequenceNumber: '1' }, true, (err, records) => {
    if (err) throw err;
    out = records!.map((r) => ({ body: Buffer.from(r.data, 'base64').toString(), key: r.partitionKey, ...(r.explicitPartitionKey ? { hashKey: r.explicitPartitionKey } : {}) }));
  });
  return out;
}

function config(peer: KinesisPeer, streamName: string, overrides: Partial<KinesisSinkConfig> = {}): KinesisSinkConfig {
  return {
    streamName, partitionKey: '', explicitHashKey: '', batchSize: 500, appendNewline: false, aggregate: false, aggregationMaxSize: '50KiB', retryTimeout: '30s', maxBackoff: '200ms',
    region: peer.region, endpoint: peer.endpoint, profile: '', accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey, sessionToken: '',
    maxAttempts: 1, requestTimeout: '5s',
    ...overrides,
  };
}

const seq = (from: number, n: number, headers: Record<string, string> = {}): SluiceEvent[] =>
  Array.from({ length: n }, (_, i) => createEvent(`event-${from + i}`, { ...headers, seq: String(from + i) }));

describe('kinesis sink @slow', function () {
  this.timeout(60000);
  let peer: KinesisPeer;
  before(async () => { peer = await startKinesisPeer(); });
  after(async () => { await peer.close(); });

  describe('conformance', () => {
    let stream = '';
    beforeEach(async () => { stream = await peer.createStream(2); });
    sinkSuite({
      factory: (ctx) => new KinesisSink(config(peer, stream), ctx),
      readBack: async () => (await peer.readAll(stream)).map((r) => Buffer.from(r.Data!)),
      breakDestination: () => peer.pause(),
      healDestination: () => peer.resume(),
      // Only kinesalite can be made unreachable on purpose.
      capabilities: { failureInjection: !process.env.KINESIS_ENDPOINT },
    });
  });

  describe('conformance with KPL aggregation', () => {
    let stream = '';
    beforeEach(async () => { stream = await peer.createStream(2); });
    sinkSuite({
      factory: (ctx) => new KinesisSink(config(peer, stream, { aggregate: true, aggregationMaxSize: '2KiB' }), ctx),
      readBack: async () => (await peer.readAll(stream)).flatMap((r) => referenceDeaggregate(r.Data!, r.PartitionKey!).map((u) => u.body)),
      breakDestination: () => peer.pause(),
      healDestination: () => peer.resume(),
      capabilities: { failureInjection: !process.env.KINESIS_ENDPOINT },
    });
  });

  async function run(streamName: string, events: SluiceEvent[], overrides: Partial<KinesisSinkConfig> = {}): Promise<KinesisSink> {
    const harness = await createHarness();
    const sink = new KinesisSink(config(peer, streamName, overrides), harness.sinkContext('k'));
    await sink.start();
    await putAll(harness, events);
    while (harness.channel.size > 0) await sink.process();
    await sink.stop();
    await harness.close();
    return sink;
  }

  it('sends the records of one partitionKey template value to one shard, in order', async () => {
    const stream = await peer.createStream(4);
    const events = Array.from({ length: 400 }, (_, i) => createEvent(`e-${i}`, { host: `host-${i % 5}` }));
    await run(stream, events, { partitionKey: 'app-%{host}', batchSize: 150 });
    const records = await peer.readAll(stream);
    expect(records).to.have.length(400);
    const shardOfKey = new Map<string, string>();
    for (const r of records) {
      expect(r.PartitionKey).to.match(/^app-host-[0-4]$/);
      if (shardOfKey.has(r.PartitionKey!)) expect(r.shardId).to.equal(shardOfKey.get(r.PartitionKey!));
      shardOfKey.set(r.PartitionKey!, r.shardId);
    }
    for (let h = 0; h < 5; h++) {
      const got = records.filter((r) => r.PartitionKey === `app-host-${h}`).map((r) => Buffer.from(r.Data!).toString());
      expect(got).to.deep.equal(events.filter((_, i) => i % 5 === h).map((e) => e.body.toString()));
    }
    expect(new Set(shardOfKey.values()).size, 'five keys spread over more than one shard').to.be.greaterThan(1);
  });

  it('uses a random partition key per record when the template is empty or renders empty', async () => {
    const stream = await peer.createStream(2);
    await run(stream, seq(0, 50), { partitionKey: '%{missing}' });
    const keys = new Set((await peer.readAll(stream)).map((r) => r.PartitionKey));
    expect(keys.size).to.equal(50);
  });

  it('appends a newline to each record with appendNewline, as the Kinesis Agent sends lines', async () => {
    const stream = await peer.createStream(1);
    await run(stream, seq(0, 3), { appendNewline: true });
    expect((await peer.readAll(stream)).map((r) => Buffer.from(r.Data!).toString())).to.deep.equal(['event-0\n', 'event-1\n', 'event-2\n']);
  });

  it('pins records to a shard with explicitHashKey', async () => {
    const stream = await peer.createStream(4);
    const shards = await peer.shards(stream);
    const last = shards[shards.length - 1]!;
    await run(stream, seq(0, 40), { explicitHashKey: last.HashKeyRange!.StartingHashKey! });
    const records = await peer.readAll(stream);
    expect(records).to.have.length(40);
    expect(new Set(records.map((r) => r.shardId))).to.deep.equal(new Set([last.ShardId]));
  });

  it('retries only the records a PutRecords call refused with ProvisionedThroughputExceeded', async function () {
    if (!peer.local) this.skip();
    const stream = await peer.createStream(2);
    const before = peer.refusedRecords;
    peer.throttlePuts(3, (i) => i % 3 === 0);
    const sink = await run(stream, seq(0, 300), { batchSize: 300 });
    const refused = peer.refusedRecords - before;
    expect(refused).to.be.greaterThan(100);
    const bodies = (await peer.readAll(stream)).map((r) => Buffer.from(r.Data!).toString()).sort();
    expect(bodies, 'every record exactly once: the accepted ones were not sent again').to.deep.equal(seq(0, 300).map((e) => e.body.toString()).sort());
    expect((sink as unknown as { ctx: { metrics: { get(n: string): number } } }).ctx.metrics.get('KinesisRecordsRetried')).to.equal(refused);
  });

  it('rolls the batch back with a retriable error when refused records outlast retryTimeout', async function () {
    if (!peer.local) this.skip();
    const stream = await peer.createStream(1);
    const harness = await createHarness();
    const sink = new KinesisSink(config(peer, stream, { retryTimeout: '300ms', maxBackoff: '100ms' }), harness.sinkContext('k'));
    await sink.start();
    await putAll(harness, seq(0, 10));
    peer.throttlePuts(1000, (i) => i === 0);
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    peer.throttlePuts(0, () => false);
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    expect(harness.channel.size).to.equal(10);
    expect(await sink.process()).to.equal('ready');
    await sink.stop();
    await harness.close();
    const bodies = (await peer.readAll(stream)).map((r) => Buffer.from(r.Data!).toString());
    expect(new Set(bodies)).to.deep.equal(new Set(seq(0, 10).map((e) => e.body.toString())));
  });

  it('sends calls of at most 500 records and 5 MiB', async function () {
    if (!peer.local) this.skip();
    const before = peer.putCalls.length;
    const stream = await peer.createStream(2);
    const big = Buffer.alloc(900 * 1024, 'x');
    const events = [...Array.from({ length: 7 }, (_, i) => createEvent(Buffer.concat([Buffer.from(`big-${i}:`), big]))), ...seq(0, 600)];
    await run(stream, events, { batchSize: 2000 });
    const records = await peer.readAll(stream);
    expect(records).to.have.length(607);
    expect(peer.putCalls.slice(before), 'records per PutRecords call').to.deep.equal([5, 2 + 498, 102]);
  });

  it('moves records over 1 MiB to the dead-letter channel and delivers the rest of the batch', async () => {
    const stream = await peer.createStream(1);
    const dead = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'dlq', kind: 'CHANNEL' })) as MemoryChannel;
    await dead.start();
    const harness = await createHarness();
    const ctx = { ...harness.sinkContext('k'), deadLetter: { name: 'dlq', channel: dead, after: 1 } };
    const sink = new KinesisSink(config(peer, stream), ctx);
    await sink.start();
    const huge = createEvent(Buffer.alloc(1024 * 1024, 'y'), { seq: 'huge' });
    await putAll(harness, [...seq(0, 2), huge, ...seq(2, 2)]);
    expect(await sink.process()).to.equal('ready');
    expect(harness.channel.size).to.equal(0);
    const dtx = dead.transaction();
    const moved = await dtx.take(10);
    await dtx.commit();
    expect(moved.map((e) => e.headers.seq)).to.deep.equal(['huge']);
    expect(moved[0]!.headers).to.include({ 'sluice.deadletter.sink': 'k', 'sluice.deadletter.code': 'SLUICE_EVENT_REJECTED' });
    expect(ctx.metrics.get('EventDeadLetterCount')).to.equal(1);
    await sink.stop();
    await harness.close();
    await dead.stop();
    expect((await peer.readAll(stream)).map((r) => Buffer.from(r.Data!).toString())).to.deep.equal(['event-0', 'event-1', 'event-2', 'event-3']);
  });

  it('without a dead-letter channel, drops and counts an oversize record and delivers the rest of its batch', async () => {
    const stream = await peer.createStream(1);
    const harness = await createHarness();
    const ctx = harness.sinkContext('k');
    const sink = new KinesisSink(config(peer, stream), ctx);
    await sink.start();
    await putAll(harness, [...seq(0, 2), createEvent(Buffer.alloc(1024 * 1024 + 1, 'z'))]);
    await sink.process();
    expect(harness.channel.size).to.equal(0);
    expect(ctx.metrics.get('EventRejectedCount')).to.equal(1);
    await sink.stop();
    await harness.close();
    expect(await peer.readAll(stream)).to.have.length(2);
  });

  it('aggregates per partition key in KPL format that aws-kinesis-agg de-aggregates, keys and order intact', async () => {
    const stream = await peer.createStream(2);
    const events = Array.from({ length: 300 }, (_, i) => createEvent(`agg-${i}-${'p'.repeat(i % 40)}`, { host: `h${i % 3}` }));
    await run(stream, events, { aggregate: true, partitionKey: '%{host}', aggregationMaxSize: '4KiB' });
    const records = await peer.readAll(stream);
    expect(records.length, 'fewer Kinesis records than events').to.be.lessThan(30);
    for (const r of records) expect(isAggregated(r.Data!)).to.equal(true);
    const users = records.flatMap((r) => referenceDeaggregate(r.Data!, r.PartitionKey!));
    for (let h = 0; h < 3; h++) {
      const got = users.filter((u) => u.key === `h${h}`).map((u) => u.body);
      expect(got).to.deep.equal(events.filter((_, i) => i % 3 === h).map((e) => e.body.toString()));
    }
    const ours = records.flatMap((r) => deaggregate(Buffer.from(r.Data!)).map((u) => u.data.toString()));
    expect(ours.sort()).to.deep.equal(users.map((u) => u.body).sort());
    for (const r of records) expect(Buffer.from(r.Data!).length).to.be.at.most(4096);
  });

  it('validates the partitionKey template and explicitHashKey in check()', () => {
    const problems = kinesisSink.check!({ ...config(peer, 's'), partitionKey: '%{host', explicitHashKey: 'abc' } as KinesisSinkConfig);
    expect(problems.map((p) => p.path)).to.deep.equal(['/partitionKey', '/explicitHashKey']);
  });

  it('fails a batch with SLUICE_EVENT_REJECTED when the stream does not exist', async () => {
    const harness = await createHarness();
    const sink = new KinesisSink(config(peer, 'no-such-stream-sluice'), harness.sinkContext('k'));
    await sink.start();
    await putAll(harness, seq(0, 3));
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    expect(errorCode(error)).to.equal('SLUICE_EVENT_REJECTED');
    expect((error as Error).message).to.include('no-such-stream-sluice').and.not.include(peer.secretAccessKey === 'kinesalite' ? '\u0000' : peer.secretAccessKey);
    expect(harness.channel.size).to.equal(3);
    await sink.stop();
    await harness.close();
  });
});
