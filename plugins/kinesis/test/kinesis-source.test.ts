import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SluiceError, type SluiceEvent, type SourceContext } from '@sluice/core';
import { collectEvents, createHarness, eventually, sourceSuite, takeAll, type SuiteHarness } from '@sluice/testkit';
import { KinesisSource, kinesisSource, type KinesisSourceConfig } from '../src/index.js';
import { startKinesisPeer, type KinesisPeer } from './kinesis-peer.js';

/** awslabs' kinesis-aggregation library (aws-kinesis-agg): the reference KPL aggregator. */
const agg = createRequire(import.meta.url)('aws-kinesis-agg') as {
  RecordAggregator: new () => { addUserRecord(r: { partitionKey: string; data: Buffer }): void; build(): { partitionKey: string; data: Buffer } };
};

function config(peer: KinesisPeer, streamName: string, overrides: Partial<KinesisSourceConfig> = {}): KinesisSourceConfig {
  return {
    streamName, initialPosition: 'TRIM_HORIZON', initialTimestamp: '', batchSize: 1000, pollInterval: '50ms', shardSyncInterval: '200ms', checkpointDir: '',
    leaseTable: '', leaseTableEndpoint: '', leaseDuration: '10s', workerId: '', maxBackoff: '200ms',
    region: peer.region, endpoint: peer.endpoint, profile: '', accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey, sessionToken: '',
    maxAttempts: 1, requestTimeout: '5s',
    ...overrides,
  };
}

describe('kinesis source @slow', function () {
  this.timeout(60000);
  let peer: KinesisPeer;
  let dataDir = '';
  const started: KinesisSource[] = [];
  const harnesses: SuiteHarness[] = [];
  before(async () => { peer = await startKinesisPeer(); });
  after(async () => { await peer.close(); });
  beforeEach(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-source-')); });
  afterEach(async () => {
    for (const source of started.splice(0)) await source.stop();
    for (const harness of harnesses.splice(0)) await harness.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(streamName: string, overrides: Partial<KinesisSourceConfig> = {}, deliver?: (events: SluiceEvent[], next: SourceContext['deliver']) => Promise<void>): Promise<{ source: KinesisSource; harness: SuiteHarness }> {
    const harness = await createHarness();
    harnesses.push(harness);
    const base = harness.sourceContext('kin');
    const ctx: SourceContext = { ...base, dataDir, deliver: deliver ? (events) => deliver(events, base.deliver) : base.deliver };
    const source = new KinesisSource(config(peer, streamName, overrides), ctx);
    await source.start();
    started.push(source);
    return { source, harness };
  }

  const checkpointOf = (source: KinesisSource, shardId: string): { sequenceNumber?: string; subSequenceNumber?: number; end?: boolean } | undefined => {
    const file = path.join(source.checkpointDirectory, `${shardId}.json`);
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  };

  describe('conformance (initialPosition LATEST)', () => {
    let stream = '';
    let suiteDir = '';
    beforeEach(async () => {
      stream = await peer.createStream(2);
      suiteDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-suite-'));
    });
    sourceSuite({
      factory: (ctx) => new KinesisSource(config(peer, stream, { initialPosition: 'LATEST' }), { ...ctx, dataDir: suiteDir }),
      produce: (_source, bodies) => peer.put(stream, bodies.map((data, i) => ({ data, key: `k${i % 7}` }))),
      capabilities: { backpressure: true },
      cleanup: () => rmSync(suiteDir, { recursive: true, force: true }),
    });
  });

  it('sets sequenceNumber, shardId, partitionKey and timestamp headers', async () => {
    const stream = await peer.createStream(1);
    await peer.put(stream, [{ data: 'one', key: 'alpha' }]);
    const before = Date.now();
    const { harness } = await open(stream);
    const [event] = await collectEvents(harness, 1);
    const [record] = await peer.readAll(stream);
    expect(event!.body.toString()).to.equal('one');
    expect(event!.headers).to.deep.equal({
      sequenceNumber: record!.SequenceNumber, shardId: 'shardId-000000000000', partitionKey: 'alpha',
      timestamp: String(record!.ApproximateArrivalTimestamp!.getTime()),
    });
    expect(Number(event!.headers.timestamp)).to.be.at.most(before + 1000);
  });

  it('de-aggregates KPL records made by aws-kinesis-agg, with subSequenceNumber headers', async () => {
    const stream = await peer.createStream(1);
    const aggregator = new agg.RecordAggregator();
    for (let i = 0; i < 20; i++) aggregator.addUserRecord({ partitionKey: `user-${i % 4}`, data: Buffer.from(`user-record-${i}`) });
    const built = aggregator.build();
    await peer.put(stream, [{ data: 'plain-before', key: 'p' }, { data: built.data, key: built.partitionKey }, { data: 'plain-after', key: 'p' }]);
    const { harness } = await open(stream);
    const events = await collectEvents(harness, 22);
    expect(events.map((e) => e.body.toString())).to.deep.equal(['plain-before', ...Array.from({ length: 20 }, (_, i) => `user-record-${i}`), 'plain-after']);
    expect(events[1]!.headers).to.include({ partitionKey: 'user-0', subSequenceNumber: '0' });
    expect(events[20]!.headers).to.include({ partitionKey: 'user-3', subSequenceNumber: '19' });
    expect(events[1]!.headers.sequenceNumber).to.equal(events[20]!.headers.sequenceNumber);
  });

  it('resumes after its checkpoint on restart: nothing delivered twice, nothing skipped', async () => {
    const stream = await peer.createStream(2);
    await peer.put(stream, Array.from({ length: 100 }, (_, i) => ({ data: `first-${i}`, key: `k${i}` })));
    const one = await open(stream);
    expect(await collectEvents(one.harness, 100)).to.have.length(100);
    await eventually(() => [0, 1].every((i) => checkpointOf(one.source, `shardId-00000000000${i}`)?.sequenceNumber !== undefined), 'both shards checkpointed');
    await one.source.stop();
    await peer.put(stream, Array.from({ length: 50 }, (_, i) => ({ data: `second-${i}`, key: `k${i}` })));
    const two = await open(stream, { initialPosition: 'TRIM_HORIZON' });
    const events = await collectEvents(two.harness, 50);
    await new Promise((r) => setTimeout(r, 300));
    events.push(...(await takeAll(two.harness)));
    expect(events.map((e) => e.body.toString()).sort()).to.deep.equal(Array.from({ length: 50 }, (_, i) => `second-${i}`).sort());
  });

  it('advances a checkpoint only after the channel committed, and retries a refused batch', async () => {
    const stream = await peer.createStream(1);
    await peer.put(stream, Array.from({ length: 10 }, (_, i) => ({ data: `r-${i}`, key: 'k' })));
    let refuse = true;
    let refusals = 0;
    const { source, harness } = await open(stream, {}, async (events, next) => {
      if (refuse) {
        refusals++;
        throw new SluiceError('SLUICE_CHANNEL_FULL', 'full for the test');
      }
      await next(events);
    });
    await eventually(() => refusals >= 3, 'three refused deliveries');
    expect(checkpointOf(source, 'shardId-000000000000'), 'no checkpoint while the channel refuses').to.equal(undefined);
    refuse = false;
    const events = await collectEvents(harness, 10);
    expect(events.map((e) => e.body.toString())).to.deep.equal(Array.from({ length: 10 }, (_, i) => `r-${i}`));
    await eventually(() => checkpointOf(source, 'shardId-000000000000')?.sequenceNumber === events[9]!.headers.sequenceNumber, 'checkpoint at the last record');
  });

  it('checkpoints inside an aggregated record, and a restart does not repeat its delivered user records', async () => {
    const stream = await peer.createStream(1);
    const aggregator = new agg.RecordAggregator();
    for (let i = 0; i < 10; i++) aggregator.addUserRecord({ partitionKey: 'u', data: Buffer.from(`u-${i}`) });
    const built = aggregator.build();
    await peer.put(stream, [{ data: built.data, key: built.partitionKey }]);
    let accepted = 0;
    const one = await open(stream, { batchSize: 4 }, async (events, next) => {
      if (accepted > 0) throw new SluiceError('SLUICE_CHANNEL_FULL', 'full after the first chunk');
      await next(events);
      accepted += events.length;
    });
    await eventually(() => checkpointOf(one.source, 'shardId-000000000000')?.subSequenceNumber === 3, 'checkpoint at user record 3');
    expect((await takeAll(one.harness)).map((e) => e.body.toString())).to.deep.equal(['u-0', 'u-1', 'u-2', 'u-3']);
    await one.source.stop();
    const two = await open(stream, { batchSize: 4 });
    const rest = await collectEvents(two.harness, 6);
    await new Promise((r) => setTimeout(r, 300));
    rest.push(...(await takeAll(two.harness)));
    expect(rest.map((e) => e.body.toString())).to.deep.equal(['u-4', 'u-5', 'u-6', 'u-7', 'u-8', 'u-9']);
  });

  it('at LATEST skips what closed shards hold, and reads what is put after start on their children', async () => {
    const stream = await peer.createStream(1);
    await peer.put(stream, [{ data: 'old-parent', key: 'a' }]);
    await peer.split(stream, 'shardId-000000000000');
    await peer.put(stream, [{ data: 'old-child', key: 'a' }]);
    const { harness } = await open(stream, { initialPosition: 'LATEST' });
    await peer.put(stream, Array.from({ length: 20 }, (_, i) => ({ data: `new-${i}`, key: `k${i}` })));
    const events = await collectEvents(harness, 20);
    await new Promise((r) => setTimeout(r, 300));
    events.push(...(await takeAll(harness)));
    expect(events.map((e) => e.body.toString()).sort()).to.deep.equal(Array.from({ length: 20 }, (_, i) => `new-${i}`).sort());
  });

  it('reads AT_TIMESTAMP from the given time', async () => {
    const stream = await peer.createStream(1);
    await peer.put(stream, [{ data: 'before', key: 'a' }]);
    await new Promise((r) => setTimeout(r, 1100));
    const mark = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    await peer.put(stream, [{ data: 'after', key: 'a' }]);
    const { harness } = await open(stream, { initialPosition: 'AT_TIMESTAMP', initialTimestamp: mark.toISOString() });
    const events = await collectEvents(harness, 1);
    await new Promise((r) => setTimeout(r, 300));
    events.push(...(await takeAll(harness)));
    expect(events.map((e) => e.body.toString())).to.deep.equal(['after']);
  });

  it('follows splits and merges of 4 shards while reading: every record, parents before children per key', async () => {
    const stream = await peer.createStream(4);
    const { harness } = await open(stream, { batchSize: 50 });
    const keys = 16;
    const perKey = new Array<number>(keys).fill(0);
    let total = 0;
    const produce = async (rounds: number): Promise<void> => {
      for (let r = 0; r < rounds; r++) {
        const batch = Array.from({ length: 40 }, (_, i) => {
          const key = (r * 40 + i) % keys;
          return { data: `k${key}:${perKey[key]!++}`, key: `key-${key}` };
        });
        total += batch.length;
        await peer.put(stream, batch);
      }
    };
    const got: SluiceEvent[] = [];
    const drain = async (): Promise<void> => { got.push(...(await takeAll(harness))); };
    await produce(5);
    await peer.split(stream, 'shardId-000000000000');
    await drain();
    await produce(5);
    await peer.split(stream, 'shardId-000000000002');
    await produce(5);
    await drain();
    // Splitting shard 0 made 4 (its lower half) and 5 (its upper half, next to shard 1).
    await peer.merge(stream, 'shardId-000000000005', 'shardId-000000000001');
    await produce(5);
    await eventually(async () => { await drain(); return got.length >= total; }, `all ${total} records`, 20000);
    await new Promise((r) => setTimeout(r, 300));
    await drain();
    const bodies = got.map((e) => e.body.toString());
    expect(new Set(bodies).size, 'every record delivered').to.equal(total);
    expect(bodies.length, 'no duplicates without a restart').to.equal(total);
    for (let k = 0; k < keys; k++) {
      const order = bodies.filter((b) => b.startsWith(`k${k}:`)).map((b) => Number(b.split(':')[1]));
      expect(order, `records of key-${k} in order`).to.deep.equal([...order].sort((a, b) => a - b));
    }
    const shards = await peer.shards(stream);
    expect(shards.length, 'the stream was resharded').to.be.greaterThan(4);
  });

  it('check() wants initialTimestamp exactly with AT_TIMESTAMP', () => {
    const base = config(peer, 's');
    expect(kinesisSource.check!({ ...base, initialPosition: 'AT_TIMESTAMP' }).map((p) => p.path)).to.deep.equal(['/initialTimestamp']);
    expect(kinesisSource.check!({ ...base, initialPosition: 'LATEST', initialTimestamp: '2024-01-01T00:00:00Z' }).map((p) => p.path)).to.deep.equal(['/initialTimestamp']);
    expect(kinesisSource.check!({ ...base, initialPosition: 'AT_TIMESTAMP', initialTimestamp: '1714521600000' })).to.deep.equal([]);
  });

  it('fails to start with SLUICE_COMPONENT_START when the stream does not exist', async () => {
    const harness = await createHarness();
    harnesses.push(harness);
    const source = new KinesisSource(config(peer, 'no-such-stream-sluice'), { ...harness.sourceContext('kin'), dataDir });
    const error = await source.start().then(() => undefined, (e: unknown) => e);
    expect((error as SluiceError).code).to.equal('SLUICE_COMPONENT_START');
    expect((error as Error).message).to.include('no-such-stream-sluice');
  });
});
