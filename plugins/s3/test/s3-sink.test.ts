import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { expect } from 'chai';
import {
  createComponentContext, createEvent, errorCode, memoryChannel, ROLL_DEFAULTS, type MemoryChannel, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { createHarness, putAll, sinkSuite, requirePeers } from '@sluice/testkit';
import { S3Sink, s3Sink, type S3SinkConfig } from '../src/index.js';
import { startS3Peer, type S3Peer } from './s3-peer.js';

function config(peer: S3Peer, overrides: Partial<S3SinkConfig> = {}): S3SinkConfig {
  return {
    bucket: peer.bucket, key: `${peer.root}logs/`, filePrefix: 'events', fileSuffix: '', endpoint: peer.endpoint, region: peer.region,
    forcePathStyle: true, profile: '', accessKeyId: peer.accessKeyId, secretAccessKey: peer.secretAccessKey, sessionToken: '', serializer: 'text', compression: 'none',
    batchSize: 100, multipartThreshold: '16MiB', partSize: '8MiB', maxAttempts: 1, requestTimeout: '5s', maxWaitingEvents: 200000,
    roll: { ...ROLL_DEFAULTS }, maxOpenFiles: 500, round: false, roundValue: 1, roundUnit: 'second', useLocalTimeStamp: true, timeZone: 'utc',
    ...overrides,
  };
}

const seq = (from: number, n: number, headers: Record<string, string> = {}): SluiceEvent[] =>
  Array.from({ length: n }, (_, i) => createEvent(`event-${from + i}`, { seq: String(from + i), ...headers }));

describe('s3 sink', function () {
  this.timeout(30000);
  let peer: S3Peer;
  let dataDir: string;
  before(async () => { peer = await startS3Peer(); });
  after(async () => { await peer.close(); });
  beforeEach(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-s3-')); });
  afterEach(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await peer.resume().catch(() => undefined);
    await peer.clear();
  });

  const readBodies = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const key of await peer.keys()) out.push(...(await peer.read(key)).toString().split('\n').filter((l) => l !== ''));
    return out;
  };

  describe('conformance', () => {
    let paused = false;
    sinkSuite({
      // roll.count 1: each batch's object is uploaded inside process(), so the suite sees it.
      factory: (ctx) => new S3Sink(config(peer, { roll: { ...ROLL_DEFAULTS, count: 1 } }), { ...ctx, dataDir }),
      readBack: readBodies,
      capabilities: { failureInjection: !process.env.S3_ENDPOINT },
      breakDestination: async () => { await peer.pause(); paused = true; },
      healDestination: async () => { if (paused) await peer.resume(); paused = false; },
      cleanup: () => peer.clear(),
    });
  });

  async function harness(overrides: Partial<S3SinkConfig> = {}): Promise<{ sink: S3Sink; channel: MemoryChannel; put(events: SluiceEvent[]): Promise<void> }> {
    const suite = await createHarness();
    const sink = new S3Sink(config(peer, overrides), { ...suite.sinkContext('s3'), dataDir });
    return { sink, channel: suite.channel, put: (events) => putAll(suite, events) };
  }

  it('keeps events in the channel until their object is uploaded, then commits them', async () => {
    const { sink, put, channel } = await harness({ batchSize: 5 });
    await sink.start();
    await put(seq(0, 12));
    for (let i = 0; i < 3; i++) await sink.process();
    expect(await peer.keys()).to.deep.equal([]);
    expect(channel.size, 'taken but not yet uploaded events stay in the channel').to.equal(12);
    await sink.stop();
    expect(channel.size).to.equal(0);
    const keys = await peer.keys();
    expect(keys).to.have.length(1);
    expect(keys[0]).to.match(new RegExp(`^${peer.root}logs/events\\.\\d+-[0-9a-f]{6}-1\\.log$`));
    expect(await readBodies()).to.deep.equal(seq(0, 12).map((e) => e.body.toString()));
  });

  it('rolls objects on count and leaves no staging files behind', async () => {
    const { sink, put } = await harness({ batchSize: 4, roll: { ...ROLL_DEFAULTS, count: 8 } });
    await sink.start();
    await put(seq(0, 20));
    for (let i = 0; i < 5; i++) await sink.process();
    expect(await peer.keys()).to.have.length(2);
    await sink.stop();
    expect(await peer.keys()).to.have.length(3);
    expect(readdirSync(path.join(dataDir, 'staging'))).to.deep.equal([]);
  });

  it('uploads large objects with multipart', async () => {
    const body = 'x'.repeat(1000);
    const { sink, put } = await harness({ multipartThreshold: '1MiB', partSize: '5MiB', batchSize: 1000 });
    await sink.start();
    const events = Array.from({ length: 7000 }, (_, i) => createEvent(`${i} ${body}`));
    await put(events);
    for (let i = 0; i < 7; i++) await sink.process();
    await sink.stop();
    const [key] = await peer.keys();
    const data = await peer.read(key!);
    expect(data.length).to.equal(events.reduce((n, e) => n + e.body.length + 1, 0));
    expect(data.toString().split('\n')[6999]).to.equal(`6999 ${body}`);
  });

  it('buckets by the key template and keeps a %{host} of ../../etc inside the prefix', async () => {
    const { sink, put } = await harness({ key: `${peer.root}logs/%Y/%{host}/` });
    await sink.start();
    await put([...seq(0, 2, { host: '../../etc', timestamp: '0' }), ...seq(2, 2, { host: 'web1' })]);
    await sink.process();
    await sink.stop();
    const keys = await peer.keys('');
    const mine = keys.filter((k) => k.startsWith(peer.root));
    expect(mine).to.have.length(2);
    for (const key of mine) expect(key.split('/')).to.not.include('..');
    expect(mine.some((k) => k.includes('/%2E%2E%2F..%2Fetc/'))).to.equal(true);
    expect(keys.filter((k) => k.startsWith('etc'))).to.deep.equal([]);
  });

  it('check() reports a bad key template with the message the constructor throws at start', () => {
    const ctx: SinkContext = { ...createComponentContext({ name: 's3', kind: 'SINK', dataDir }), channel: undefined as never };
    for (const key of ['logs/%Q/', 'logs/%{host/', 'logs/%[ip]/', 'logs/50%']) {
      const problems = s3Sink.check!(config(peer, { key }));
      expect(problems, key).to.have.length(1);
      expect(problems[0]!.path).to.equal('/key');
      expect(() => new S3Sink(config(peer, { key }), ctx), key).to.throw().with.property('message', problems[0]!.message);
    }
    expect(s3Sink.check!(config(peer, { key: 'logs/%Y/%m/%d/%H/%{host}/%{log-type}/' }))).to.deep.equal([]);
  });

  it('writes avro_event objects that avsc createFileDecoder reads back', async () => {
    const { sink, put } = await harness({ serializer: 'avro_event', batchSize: 4 });
    await sink.start();
    await put(seq(0, 10));
    for (let i = 0; i < 3; i++) await sink.process();
    await sink.stop();
    const [key] = await peer.keys();
    expect(key).to.match(/\.avro$/);
    const local = path.join(dataDir, 'out.avro');
    writeFileSync(local, await peer.read(key!));
    const records: { headers: Record<string, string>; body: Buffer }[] = [];
    await new Promise<void>((resolve, reject) => {
      avro.createFileDecoder(local).on('data', (r: { headers: Record<string, string>; body: Buffer }) => records.push(r)).on('end', resolve).on('error', reject);
    });
    expect(records.map((r) => r.body.toString())).to.deep.equal(seq(0, 10).map((e) => e.body.toString()));
  });

  it('writes gzip objects that zcat reads whole', async function () {
    requirePeers(this, 'zcat');
    const { sink, put } = await harness({ compression: 'gzip', batchSize: 3 });
    await sink.start();
    await put(seq(0, 7));
    for (let i = 0; i < 3; i++) await sink.process();
    await sink.stop();
    const [key] = await peer.keys();
    expect(key).to.match(/\.log\.gz$/);
    const local = path.join(dataDir, 'out.gz');
    writeFileSync(local, await peer.read(key!));
    expect(execFileSync('zcat', [local]).toString()).to.equal(seq(0, 7).map((e) => `${e.body}\n`).join(''));
  });

  it('uploads objects on the idle timeout and commits their events', async () => {
    const { sink, put, channel } = await harness({ roll: { ...ROLL_DEFAULTS, idleTimeout: '200ms' } });
    await sink.start();
    await put(seq(0, 3));
    await sink.process();
    const deadline = Date.now() + 10000;
    while (channel.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(channel.size).to.equal(0);
    expect(await peer.keys()).to.have.length(1);
    await sink.stop();
  });

  it('uploads early when waiting events reach half the channel capacity', async () => {
    const channel = memoryChannel.create({ capacity: 20, transactionCapacity: 20, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c', kind: 'CHANNEL' })) as MemoryChannel;
    await channel.start();
    const sink = new S3Sink(config(peer, { batchSize: 5 }), { ...createComponentContext({ name: 's3', kind: 'SINK', dataDir }), channel });
    await sink.start();
    const tx = channel.transaction();
    tx.put(seq(0, 10));
    await tx.commit();
    await sink.process();
    expect(await peer.keys()).to.have.length(0);
    await sink.process();
    expect(await peer.keys()).to.have.length(1);
    expect(channel.size).to.equal(0);
    await sink.stop();
  });

  it('rolls back every waiting transaction, in order, with retriable SLUICE_DELIVERY_FAILED when S3 is unreachable', async function () {
    if (!peer.local) this.skip();
    const { sink, put, channel } = await harness({ batchSize: 3, roll: { ...ROLL_DEFAULTS, count: 9 } });
    await sink.start();
    await put(seq(0, 9));
    await sink.process();
    await sink.process();
    await peer.pause();
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    expect((error as { retriable: boolean }).retriable).to.equal(true);
    expect(channel.size).to.equal(9);
    const tx = channel.transaction();
    expect((await tx.take(9)).map((e) => e.body.toString())).to.deep.equal(seq(0, 9).map((e) => e.body.toString()));
    await tx.rollback();
    await peer.resume();
    for (let i = 0; i < 3; i++) await sink.process();
    await sink.stop();
    expect(await readBodies()).to.deep.equal(seq(0, 9).map((e) => e.body.toString()));
  });

  it('fails with non-retriable SLUICE_EVENT_REJECTED when the bucket does not exist (4xx)', async () => {
    const { sink, put, channel } = await harness({ bucket: 'no-such-bucket-sluice', roll: { ...ROLL_DEFAULTS, count: 1 } });
    await sink.start();
    await put(seq(0, 2));
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    expect(errorCode(error)).to.equal('SLUICE_EVENT_REJECTED');
    expect((error as { retriable: boolean }).retriable).to.equal(false);
    expect(channel.size).to.equal(2);
    await sink.stop();
  });

  it('sets aside an event without a usable timestamp (dropped and counted without a dead-letter channel); the rest of its batch is written', async () => {
    const { sink, put, channel } = await harness({ key: `${peer.root}logs/%Y/`, useLocalTimeStamp: false, batchSize: 3 });
    await sink.start();
    await put(seq(0, 2, { timestamp: '0' }));
    await sink.process();
    await put([createEvent('no-time'), createEvent('far-future', { timestamp: '1e300' }), ...seq(2, 1, { timestamp: '0' })]);
    await sink.process();
    await sink.stop();
    expect(channel.size).to.equal(0);
    expect((sink as unknown as { ctx: SinkContext }).ctx.metrics.get('EventRejectedCount')).to.equal(2);
    expect(await readBodies()).to.deep.equal(['event-0', 'event-1', 'event-2']);
  });

  it('moves an event without a usable timestamp to the dead-letter channel at once', async () => {
    const dead = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'dlq', kind: 'CHANNEL' })) as MemoryChannel;
    await dead.start();
    const suite = await createHarness();
    const sink = new S3Sink(config(peer, { key: `${peer.root}logs/%Y/`, useLocalTimeStamp: false }), { ...suite.sinkContext('s3'), dataDir, deadLetter: { name: 'dlq', channel: dead, after: 3 } });
    await sink.start();
    await putAll(suite, [createEvent('no-time'), ...seq(0, 1, { timestamp: '0' })]);
    await sink.process();
    await sink.stop();
    const tx = dead.transaction();
    const moved = await tx.take(10);
    await tx.commit();
    expect(moved.map((e) => e.body.toString())).to.deep.equal(['no-time']);
    expect(moved[0]!.headers['sluice.deadletter.code']).to.equal('SLUICE_EVENT_REJECTED');
    expect(await readBodies()).to.deep.equal(['event-0']);
    await dead.stop();
  });

  it('moves events to the dead-letter channel after `after` consecutive 4xx rejections', async () => {
    const dead = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'dlq', kind: 'CHANNEL' })) as MemoryChannel;
    await dead.start();
    const channel = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c', kind: 'CHANNEL' })) as MemoryChannel;
    await channel.start();
    const ctx = { ...createComponentContext({ name: 's3', kind: 'SINK', dataDir }), channel, deadLetter: { name: 'dlq', channel: dead, after: 2 } };
    const sink = new S3Sink(config(peer, { bucket: 'no-such-bucket-sluice', batchSize: 3, roll: { ...ROLL_DEFAULTS, count: 3 } }), ctx);
    await sink.start();
    const tx = channel.transaction();
    tx.put(seq(0, 3));
    await tx.commit();
    const first = await sink.process().then(() => undefined, (e: unknown) => e);
    expect(errorCode(first)).to.equal('SLUICE_EVENT_REJECTED');
    expect(channel.size).to.equal(3);
    expect(await sink.process()).to.equal('ready');
    expect(channel.size).to.equal(0);
    const dtx = dead.transaction();
    const moved = await dtx.take(10);
    await dtx.commit();
    expect(moved.map((e) => e.body.toString())).to.deep.equal(['event-0', 'event-1', 'event-2']);
    expect(moved[0]!.headers).to.include({ 'sluice.deadletter.sink': 's3', 'sluice.deadletter.code': 'SLUICE_EVENT_REJECTED', seq: '0' });
    expect(ctx.metrics.get('EventDeadLetterCount')).to.equal(3);
    await sink.stop();
  });

  it('can start again after stop', async () => {
    const { sink, put } = await harness({ roll: { ...ROLL_DEFAULTS, count: 1 } });
    await sink.start();
    await put(seq(0, 1));
    await sink.process();
    await sink.stop();
    await sink.start();
    await put(seq(1, 1));
    await sink.process();
    await sink.stop();
    expect((await readBodies()).sort()).to.deep.equal(['event-0', 'event-1']);
  });

  it('uploads the least recently used object beyond maxOpenFiles', async () => {
    const { sink, put, channel } = await harness({ key: `${peer.root}logs/%{k}/`, maxOpenFiles: 1 });
    await sink.start();
    await put(seq(0, 1, { k: 'a' }));
    await sink.process();
    await put(seq(1, 1, { k: 'b' }));
    await sink.process();
    const keys = await peer.keys();
    expect(keys).to.have.length(1);
    expect(keys[0]).to.contain('/logs/a/');
    expect(channel.size, 'the b event waits in the channel for its upload').to.equal(1);
    await sink.stop();
    expect(await peer.keys()).to.have.length(2);
  });

  it('uploads early when maxWaitingEvents events wait', async () => {
    const { sink, put, channel } = await harness({ batchSize: 5, maxWaitingEvents: 10 });
    await sink.start();
    await put(seq(0, 10));
    await sink.process();
    expect(await peer.keys()).to.have.length(0);
    await sink.process();
    expect(await peer.keys()).to.have.length(1);
    expect(channel.size).to.equal(0);
    await sink.stop();
  });

  it('maps Flume-style keys', () => {
    const c = s3Sink.fromFlume!({ bucket: 'b', rollInterval: '60', forcePathStyle: 'true' });
    expect(c).to.deep.include({ bucket: 'b', forcePathStyle: true });
    expect(c.roll).to.deep.equal({ interval: '60s' });
  });
});
