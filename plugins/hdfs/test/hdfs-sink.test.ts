import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { expect } from 'chai';
import {
  createComponentContext, createEvent, errorCode, memoryChannel, ROLL_DEFAULTS, type MemoryChannel, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { createHarness, putAll, sinkSuite, WebHdfsTestServer, requirePeers } from '@sluice/testkit';
import { HdfsSink, hdfsSink, type HdfsSinkConfig } from '../src/index.js';
import { startHdfsPeer, type HdfsPeer } from './hdfs-peer.js';

function config(peer: HdfsPeer, overrides: Partial<HdfsSinkConfig> = {}): HdfsSinkConfig {
  return {
    url: peer.url, path: `${peer.root}/logs`, filePrefix: 'FlumeData', fileSuffix: '', inUseSuffix: '.tmp', user: peer.user,
    delegationToken: '', fileType: 'DataStream', writeFormat: 'Writable', serializer: 'text', compression: 'none', batchSize: 100, requestTimeout: '5s', writeConcurrency: 8,
    roll: { ...ROLL_DEFAULTS }, maxOpenFiles: 500, round: false, roundValue: 1, roundUnit: 'second', useLocalTimeStamp: true, timeZone: 'utc',
    ...overrides,
  };
}

describe('hdfs sink', function () {
  this.timeout(30000);
  let peer: HdfsPeer;
  let dataDir: string;
  before(async () => { peer = await startHdfsPeer(); });
  after(async () => { await peer.close(); });
  beforeEach(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-hdfs-')); });
  afterEach(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await peer.client.delete(peer.root, true).catch(() => undefined);
  });

  const readBodies = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const file of await peer.files()) out.push(...(await peer.client.read(file)).toString().split('\n').filter((l) => l !== ''));
    return out;
  };

  describe('conformance', () => {
    sinkSuite({
      factory: (ctx) => new HdfsSink(config(peer, { roll: { ...ROLL_DEFAULTS, count: 5 } }), { ...ctx, dataDir }),
      readBack: readBodies,
      capabilities: { failureInjection: !process.env.WEBHDFS_URL },
      breakDestination: async () => peer.server?.failWith(503),
      healDestination: async () => peer.server?.failWith(null),
      cleanup: () => peer.client.delete(peer.root, true).then(() => undefined, () => undefined),
    });
  });

  async function harness(overrides: Partial<HdfsSinkConfig> = {}): Promise<{ sink: HdfsSink; channel: MemoryChannel; put(events: SluiceEvent[]): Promise<void> }> {
    const suite = await createHarness();
    const sink = new HdfsSink(config(peer, overrides), { ...suite.sinkContext('hdfs'), dataDir });
    return { sink, channel: suite.channel, put: (events) => putAll(suite, events) };
  }

  const seq = (from: number, n: number, headers: Record<string, string> = {}): SluiceEvent[] =>
    Array.from({ length: n }, (_, i) => createEvent(`event-${from + i}`, { seq: String(from + i), ...headers }));

  it('writes in-use .tmp files and renames them when they roll on count', async () => {
    const { sink, put } = await harness({ roll: { ...ROLL_DEFAULTS, count: 10 }, batchSize: 5 });
    await sink.start();
    await put(seq(0, 12));
    for (let i = 0; i < 3; i++) await sink.process();
    const during = await peer.files();
    expect(during.filter((f) => f.endsWith('.log'))).to.have.length(1);
    expect(during.filter((f) => f.endsWith('.log.tmp'))).to.have.length(1);
    await sink.stop();
    const after = await peer.files();
    expect(after.every((f) => f.endsWith('.log') && path.posix.basename(f).startsWith('FlumeData.'))).to.equal(true);
    expect((await readBodies()).sort()).to.deep.equal(seq(0, 12).map((e) => e.body.toString()).sort());
  });

  it('uses the two-step CREATE/APPEND redirect and renames with RENAME', async function () {
    if (!peer.server) this.skip();
    const { sink, put } = await harness();
    await sink.start();
    await put(seq(0, 3));
    await sink.process();
    await put(seq(3, 3));
    await sink.process();
    await sink.stop();
    const ops = peer.server!.requests.map((r) => r.split(' ')[0]);
    expect(ops).to.include.members(['CREATE', 'APPEND', 'RENAME']);
  });

  it('buckets by the path template and keeps a %{host} of ../../etc inside the prefix', async () => {
    const { sink, put } = await harness({ path: `${peer.root}/logs/%Y/%{host}` });
    await sink.start();
    await put([...seq(0, 2, { host: '../../etc', timestamp: '0' }), ...seq(2, 2, { host: 'web1' }), ...seq(4, 1, { host: 'fe80::1' })]);
    await sink.process();
    await sink.stop();
    const files = await peer.files(peer.root);
    expect(files).to.have.length(3);
    for (const file of files) {
      expect(file.startsWith(`${peer.root}/logs/`)).to.equal(true);
      expect(file.split('/')).to.not.include('..');
    }
    expect(files.some((f) => f.includes('/%2E%2E%2F..%2Fetc/'))).to.equal(true);
    expect(await peer.files('/etc')).to.deep.equal([]);
  });

  it('writes avro_event files that avsc createFileDecoder reads back', async () => {
    const { sink, put } = await harness({ serializer: 'avro_event', batchSize: 4 });
    await sink.start();
    await put(seq(0, 10));
    for (let i = 0; i < 3; i++) await sink.process();
    await sink.stop();
    const [file] = await peer.files();
    expect(file).to.match(/\.avro$/);
    const local = path.join(dataDir, 'out.avro');
    writeFileSync(local, await peer.client.read(file!));
    const records: { headers: Record<string, string>; body: Buffer }[] = [];
    await new Promise<void>((resolve, reject) => {
      avro.createFileDecoder(local).on('data', (r: { headers: Record<string, string>; body: Buffer }) => records.push(r)).on('end', resolve).on('error', reject);
    });
    expect(records.map((r) => r.body.toString())).to.deep.equal(seq(0, 10).map((e) => e.body.toString()));
    expect(records[3]!.headers.seq).to.equal('3');
  });

  it('writes gzip files that zcat reads whole', async function () {
    requirePeers(this, 'zcat');
    const { sink, put } = await harness({ compression: 'gzip', batchSize: 3 });
    await sink.start();
    await put(seq(0, 7));
    for (let i = 0; i < 3; i++) await sink.process();
    await sink.stop();
    const [file] = await peer.files();
    expect(file).to.match(/\.log\.gz$/);
    const local = path.join(dataDir, 'out.gz');
    writeFileSync(local, await peer.client.read(file!));
    expect(execFileSync('zcat', [local]).toString()).to.equal(seq(0, 7).map((e) => `${e.body}\n`).join(''));
  });

  it('closes files on the idle timeout', async () => {
    const { sink, put } = await harness({ roll: { ...ROLL_DEFAULTS, idleTimeout: '200ms' } });
    await sink.start();
    await put(seq(0, 3));
    await sink.process();
    const deadline = Date.now() + 10000;
    while ((await peer.files()).some((f) => f.endsWith('.tmp')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await peer.files()).to.have.length(1);
    expect((await peer.files())[0]).to.match(/\.log$/);
    await sink.stop();
  });

  it('closes the least recently used file beyond maxOpenFiles', async () => {
    const { sink, put } = await harness({ path: `${peer.root}/logs/%{k}`, maxOpenFiles: 1 });
    await sink.start();
    await put(seq(0, 1, { k: 'a' }));
    await sink.process();
    await put(seq(1, 1, { k: 'b' }));
    await sink.process();
    const files = await peer.files();
    expect(files.filter((f) => f.includes('/a/') && f.endsWith('.log'))).to.have.length(1);
    expect(files.filter((f) => f.includes('/b/') && f.endsWith('.tmp'))).to.have.length(1);
    await sink.stop();
  });

  it('renames in-use files left by a crashed run at start', async () => {
    const first = await harness();
    await first.sink.start();
    await first.put(seq(0, 5));
    await first.sink.process();
    expect((await peer.files()).filter((f) => f.endsWith('.tmp'))).to.have.length(1);
    // No stop(): the process "crashed" with the file open.
    const second = await harness();
    await second.sink.start();
    const files = await peer.files();
    expect(files.filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    expect(files).to.have.length(1);
    expect(await readBodies()).to.deep.equal(seq(0, 5).map((e) => e.body.toString()));
    await second.sink.stop();
  });

  it('fails a batch with retriable SLUICE_DELIVERY_FAILED on 5xx or lease recovery and non-retriable SLUICE_EVENT_REJECTED on other 4xx', async function () {
    if (!peer.server) this.skip();
    const { sink, put, channel } = await harness();
    await sink.start();
    await put(seq(0, 3));
    const cases = [
      [503, undefined, 'SLUICE_DELIVERY_FAILED', true],
      [403, 'RecoveryInProgressException', 'SLUICE_DELIVERY_FAILED', true],
      [403, 'AccessControlException', 'SLUICE_EVENT_REJECTED', false],
    ] as const;
    for (const [status, exception, code, retriable] of cases) {
      peer.server!.failWith(status, { exception });
      const error = await sink.process().then(() => undefined, (e: unknown) => e);
      expect(errorCode(error)).to.equal(code);
      expect((error as { retriable: boolean }).retriable).to.equal(retriable);
      expect(channel.size).to.equal(3);
    }
    peer.server!.failWith(null);
    await sink.process();
    await sink.stop();
    expect(await readBodies()).to.have.length(3);
  });

  it('fails with retriable SLUICE_DELIVERY_FAILED when the namenode is unreachable', async () => {
    const { sink, put } = await harness({ url: 'http://127.0.0.1:1' });
    await sink.start();
    await put(seq(0, 1));
    const error = await sink.process().then(() => undefined, (e: unknown) => e);
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    await sink.stop();
  });

  it('sets aside events without a usable timestamp (dropped and counted without a dead-letter channel); the rest of the batch is written', async () => {
    const { sink, put, channel } = await harness({ path: `${peer.root}/logs/%Y`, useLocalTimeStamp: false });
    await sink.start();
    await put([createEvent('no-time'), createEvent('poison', { timestamp: '-1e300' }), ...seq(0, 2, { timestamp: '0' })]);
    await sink.process();
    expect(channel.size).to.equal(0);
    expect((sink as unknown as { ctx: SinkContext }).ctx.metrics.get('EventRejectedCount')).to.equal(2);
    await sink.stop();
    const files = await peer.files();
    expect(files).to.have.length(1);
    expect((await peer.client.read(files[0]!)).toString()).to.equal('event-0\nevent-1\n');
  });

  it('moves a batch HDFS refuses with 403 to the dead-letter channel', async function () {
    if (!peer.server) this.skip();
    const dead = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'dlq', kind: 'CHANNEL' }));
    await dead.start();
    const channel = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c', kind: 'CHANNEL' }));
    await channel.start();
    const ctx = { ...createComponentContext({ name: 'hdfs', kind: 'SINK', dataDir }), channel, deadLetter: { name: 'dlq', channel: dead, after: 1 } };
    const sink = new HdfsSink(config(peer), ctx);
    await sink.start();
    const tx = channel.transaction();
    tx.put(seq(0, 2));
    await tx.commit();
    peer.server!.failWith(403);
    try {
      expect(await sink.process()).to.equal('ready');
    } finally {
      peer.server!.failWith(null);
    }
    const dtx = dead.transaction();
    const moved = await dtx.take(10);
    await dtx.commit();
    expect(moved.map((e) => e.headers['sluice.deadletter.code'])).to.deep.equal(['SLUICE_EVENT_REJECTED', 'SLUICE_EVENT_REJECTED']);
    await sink.stop();
  });

  it('keeps a batch committed when only the rename on close fails, and renames the file later', async function () {
    if (!peer.server) this.skip();
    const { sink, put, channel } = await harness({ roll: { ...ROLL_DEFAULTS, count: 2 } });
    await sink.start();
    await put(seq(0, 2));
    peer.server!.failWith(503, { ops: ['RENAME'] });
    try {
      expect(await sink.process()).to.equal('ready');
    } finally {
      peer.server!.failWith(null);
    }
    expect(channel.size, 'the acknowledged batch is committed').to.equal(0);
    expect((await peer.files()).filter((f) => f.endsWith('.tmp'))).to.have.length(1);
    await put(seq(2, 1));
    await sink.process();
    await sink.stop();
    const files = await peer.files();
    expect(files.filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    expect((await readBodies()).sort()).to.deep.equal(seq(0, 3).map((e) => e.body.toString()).sort());
  });

  it('authenticates with a delegation token instead of user.name', async function () {
    if (!peer.server) this.skip();
    const secured = await WebHdfsTestServer.start({ requireUser: true, delegationToken: 'token-1' });
    try {
      for (const [token, code] of [['wrong', 'SLUICE_EVENT_REJECTED'], ['token-1', undefined]] as const) {
        const { sink, put } = await harness({ url: secured.url, user: '', delegationToken: token });
        await sink.start();
        await put(seq(0, 1));
        const error = await sink.process().then(() => undefined, (e: unknown) => e);
        expect(errorCode(error)).to.equal(code);
        await sink.stop();
      }
      expect(secured.listFiles(peer.root)).to.have.length(1);
    } finally {
      await secured.close();
    }
  });

  it('refuses a path template that would put a colon in a name, with SLUICE_CONFIG_INVALID', async () => {
    expect(() => new HdfsSink(config(peer, { path: '/logs/%H:%M' }), { ...createComponentContext({ name: 'h', kind: 'SINK', dataDir }), channel: undefined as never }))
      .to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });

  it('check() reports each path mistake the constructor throws at start, with the same message', () => {
    const ctx = { ...createComponentContext({ name: 'h', kind: 'SINK', dataDir }), channel: undefined as never };
    for (const path of ['/logs/%Q', '/logs/%{host', '/logs/%[host]', '/logs/%H:%M', '/logs/%c']) {
      const problems = hdfsSink.check!(config(peer, { path }));
      expect(problems, path).to.have.length(1);
      expect(problems[0]!.path).to.equal('/path');
      let thrown: unknown;
      try {
        new HdfsSink(config(peer, { path }), ctx);
      } catch (error) {
        thrown = error;
      }
      expect(errorCode(thrown), path).to.equal('SLUICE_CONFIG_INVALID');
      expect((thrown as Error).message, path).to.be.oneOf([problems[0]!.message, `hdfs sink 'h': ${problems[0]!.message}`]);
    }
    expect(hdfsSink.check!(config(peer, { path: '/logs/%Q/%H:%M' })).map((p) => p.message)).to.have.length(2);
    expect(hdfsSink.check!(config(peer, { path: '/logs/%Y/%m/%d/%H%M/%{host}/%[localhost]' }))).to.deep.equal([]);
  });

  it('takes the next file name when another writer already owns one', async () => {
    const { sink, put } = await harness();
    const { startMillis } = sink as unknown as { startMillis: number };
    await peer.client.create(`${peer.root}/logs/FlumeData.${startMillis}-1.log.tmp`, Buffer.from('theirs\n'));
    await sink.start();
    await put(seq(0, 2));
    await sink.process();
    await sink.stop();
    expect((await peer.client.read(`${peer.root}/logs/FlumeData.${startMillis}-1.log.tmp`)).toString()).to.equal('theirs\n');
    expect((await peer.client.read(`${peer.root}/logs/FlumeData.${startMillis}-2.log`)).toString()).to.equal('event-0\nevent-1\n');
  });

  it('writes the buckets of one batch in parallel and keeps each file whole', async function () {
    const { sink, put } = await harness({ path: `${peer.root}/logs/%{k}`, writeConcurrency: 4, batchSize: 200 });
    await sink.start();
    await put(Array.from({ length: 200 }, (_, i) => createEvent(`event-${i}`, { k: `b${i % 20}` })));
    await sink.process();
    await put(Array.from({ length: 200 }, (_, i) => createEvent(`event-${200 + i}`, { k: `b${i % 20}` })));
    await sink.process();
    await sink.stop();
    const files = await peer.files();
    expect(files).to.have.length(20);
    for (const file of files) {
      const k = Number(/\/b(\d+)\//.exec(file)![1]);
      const lines = (await peer.client.read(file)).toString().trim().split('\n');
      expect(lines).to.deep.equal(Array.from({ length: 20 }, (_, j) => `event-${k + 20 * j}`));
    }
  });

  it('maps Flume hdfs.* keys (file type, codec class names, write format), and derives the WebHDFS url from an hdfs:// path with a warning', () => {
    const found: string[] = [];
    const flume = { warn: (key: string) => found.push(`warn ${key}`), refuse: (key: string) => found.push(`refuse ${key}`) };
    const config = hdfsSink.fromFlume!({ 'hdfs.path': 'hdfs://namenode:8020/flume/%Y', 'hdfs.rollInterval': '300', 'hdfs.rollCount': '0', 'hdfs.fileType': 'compressedstream', 'hdfs.codeC': 'org.apache.hadoop.io.compress.SnappyCodec', 'hdfs.round': 'true' }, flume);
    expect(config).to.deep.include({ path: '/flume/%Y', url: 'http://namenode:9870', fileType: 'CompressedStream', compression: 'snappy', round: true });
    expect(config.roll).to.deep.equal({ interval: '300s', count: 0 });
    expect(found).to.deep.equal(['warn hdfs.path']);
    expect(hdfsSink.fromFlume!({ 'hdfs.url': 'http://nn:9870', 'hdfs.path': '/x' }), 'Flume writes SequenceFiles by default').to.deep.include({ fileType: 'SequenceFile' });
    expect(hdfsSink.fromFlume!({ 'hdfs.url': 'http://nn:9870', 'hdfs.path': '/x', 'hdfs.writeFormat': 'TEXT' })).to.deep.include({ fileType: 'SequenceFile', writeFormat: 'Text' });
  });

  it('refuses what Flume refuses or Sluice cannot write: unknown codecs, CompressedStream without a codec, codeC with DataStream', () => {
    const refusals = (properties: Record<string, string>): string[] => {
      const found: string[] = [];
      hdfsSink.fromFlume!({ 'hdfs.url': 'http://nn:9870', 'hdfs.path': '/x', ...properties }, { warn: () => undefined, refuse: (key) => found.push(key) });
      return found;
    };
    expect(refusals({})).to.deep.equal([]);
    expect(refusals({ 'hdfs.fileType': 'SequenceFile', 'hdfs.codeC': 'bzip2' })).to.deep.equal([]);
    expect(refusals({ 'hdfs.fileType': 'CompressedStream', 'hdfs.codeC': 'lzop' })).to.deep.equal(['hdfs.codeC']);
    expect(refusals({ 'hdfs.fileType': 'CompressedStream' })).to.deep.equal(['hdfs.fileType']);
    expect(refusals({ 'hdfs.fileType': 'DataStream', 'hdfs.codeC': 'gzip' })).to.deep.equal(['hdfs.codeC']);
    expect(refusals({ 'hdfs.fileType': 'ORC' })).to.deep.equal(['hdfs.fileType']);
    expect(refusals({ 'hdfs.fileType': 'DataStream', 'hdfs.writeFormat': 'Text', 'hdfs.threadsPoolSize': '10', serializer: 'TEXT' })).to.deep.equal([]);
    expect(refusals({ 'hdfs.fileType': 'DataStream', serializer: 'org.apache.flume.sink.hdfs.AvroEventSerializer$Builder' })).to.deep.equal(['serializer']);
  });
});
