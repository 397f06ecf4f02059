import net from 'node:net';
import { expect } from 'chai';
import { createEvent, errorCode } from '@sluice/core';
import { createHarness, eventually, sinkSuite, type SuiteHarness, requirePeers } from '@sluice/testkit';
import { avroSink, avroSource, type AvroSink, type AvroSinkConfig, type AvroSource } from '../src/index.js';
import { startAvscServer, type AvscServer } from './peers.js';
import { makeCertificate, type TestCertificate } from './raw-client.js';

const sinkConfig = (port: number, overrides: Partial<AvroSinkConfig> = {}): AvroSinkConfig => ({
  hostname: '127.0.0.1', port, batchSize: 100, connectTimeout: '2s', requestTimeout: '2s', resetConnectionInterval: '0',
  reconnectBackoff: '50ms', maxReconnectBackoff: '200ms', compressionType: 'none', compressionLevel: 6, ssl: false,
  trustAllCerts: false, truststore: '', ...overrides,
});

async function fill(harness: SuiteHarness, n: number, prefix = 'e'): Promise<void> {
  const tx = harness.channel.transaction();
  tx.put(Array.from({ length: n }, (_, i) => createEvent(`${prefix}-${i}`, { seq: String(i) })));
  await tx.commit();
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A port nobody listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('avro sink conformance (against avsc\'s AvroSourceProtocol server)', () => {
  let server: AvscServer;
  before(async () => {
    server = await startAvscServer();
  });
  after(() => server.close());
  sinkSuite({
    factory: (ctx) => {
      server.events.length = 0;
      server.answer = () => 'OK';
      return avroSink.create(sinkConfig(server.port, { batchSize: 40 }), ctx);
    },
    readBack: async () => server.events.map((e) => e.body),
    breakDestination: async () => {
      server.answer = () => 'FAILED';
    },
    healDestination: async () => {
      server.answer = () => 'OK';
    },
    capabilities: { failureInjection: true },
  });
});

describe('avro sink', () => {
  let harness: SuiteHarness;
  let sink: AvroSink | undefined;
  const closers: (() => Promise<unknown> | void)[] = [];

  beforeEach(async () => {
    harness = await createHarness();
  });
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
    for (const close of closers.splice(0)) await close();
    await harness.close();
  });

  async function startSink(config: AvroSinkConfig): Promise<AvroSink> {
    sink = avroSink.create(config, harness.sinkContext()) as AvroSink;
    await sink.start();
    return sink;
  }
  async function avscServer(options: Parameters<typeof startAvscServer>[0] = {}): Promise<AvscServer> {
    const server = await startAvscServer(options);
    closers.push(() => server.close());
    return server;
  }
  async function sluiceSource(overrides: object = {}): Promise<{ source: AvroSource; harness: SuiteHarness }> {
    const target = await createHarness();
    const source = avroSource.create({
      bind: '127.0.0.1', port: 0, compressionType: 'none', compressionLevel: 6, ssl: false, keystore: '', keystorePassword: '',
      keystoreType: 'pkcs12', ipFilter: false, ipFilterRules: '', maxFrameSize: '64MiB', maxPendingBytes: '128MiB', frameTimeout: '30s', idleTimeout: '10m', maxBatchEvents: 100000, maxConnections: 1000, ...overrides,
    }, target.sourceContext()) as AvroSource;
    await source.start();
    closers.push(async () => {
      await source.stop();
      await target.close();
    });
    return { source, harness: target };
  }
  const metric = (name: string) => sink!['ctx'].metrics.get(name);

  it('sends headers and bodies in batches of batchSize and commits only after OK', async () => {
    const server = await avscServer();
    const s = await startSink(sinkConfig(server.port, { batchSize: 30 }));
    await fill(harness, 70);
    expect(await s.process()).to.equal('ready');
    expect(server.events).to.have.length(30);
    expect(harness.channel.size).to.equal(40);
    while (harness.channel.size > 0) await s.process();
    expect(server.calls).to.equal(3);
    expect(server.events.map((e) => e.body.toString())).to.deep.equal(Array.from({ length: 70 }, (_, i) => `e-${i}`));
    expect(server.events[5]!.headers).to.deep.equal({ seq: '5' });
    expect(s['ctx'].metrics.get('EventDrainSuccessCount')).to.equal(70);
  });

  it('rolls back with SLUICE_DELIVERY_FAILED when the answer does not come within requestTimeout', async () => {
    const server = await avscServer();
    server.answer = () => 'HANG';
    const s = await startSink(sinkConfig(server.port, { requestTimeout: '300ms' }));
    await fill(harness, 5);
    const error = await failure(s.process());
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    expect((error as { retriable: boolean }).retriable).to.equal(true);
    expect(harness.channel.size).to.equal(5);
    server.answer = () => 'OK';
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await s.process()).to.equal('ready');
    expect(server.events.map((e) => e.body.toString())).to.deep.equal(['e-0', 'e-1', 'e-2', 'e-3', 'e-4']);
    expect(server.connections, 'the timed-out connection was replaced').to.equal(2);
  });

  it('gives up connecting after connectTimeout when the peer accepts TCP but never handshakes', async () => {
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => accepted.push(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise((resolve) => {
      for (const socket of accepted) socket.destroy();
      silent.close(resolve);
    }));
    const s = await startSink(sinkConfig((silent.address() as net.AddressInfo).port, { connectTimeout: '200ms' }));
    await fill(harness, 3);
    await eventually(() => s['ctx'].metrics.get('ConnectionFailedCount') === 1, 'the attempt made at start to time out');
    await new Promise((resolve) => setTimeout(resolve, 60));
    const error = await failure(s.process());
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    expect((error as { details: { timeout?: boolean } }).details.timeout).to.equal(true);
    expect(harness.channel.size).to.equal(3);
    expect(s['ctx'].metrics.get('ConnectionFailedCount')).to.equal(2);
  });

  it('starts without waiting for a collector that does not answer, and stop() abandons the attempt', async () => {
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => accepted.push(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise((resolve) => {
      for (const socket of accepted) socket.destroy();
      silent.close(resolve);
    }));
    const s = await startSink(sinkConfig((silent.address() as net.AddressInfo).port, { connectTimeout: '60s' }));
    await eventually(() => accepted.length === 1, 'the connection attempt made at start');
    accepted[0]!.resume();
    expect(s['ctx'].metrics.get('ConnectionCreatedCount'), 'start() returned while the handshake is pending').to.equal(0);
    await s.stop();
    await eventually(() => accepted[0]!.readableEnded, 'the abandoned connection to be closed');
    sink = undefined;
  });

  it('reconnects with backoff: fails fast while backing off, then delivers once the collector is back', async () => {
    const port = await freePort();
    const s = await startSink(sinkConfig(port, { reconnectBackoff: '300ms', maxReconnectBackoff: '300ms' }));
    await fill(harness, 4);
    await eventually(() => s['ctx'].metrics.get('ConnectionFailedCount') === 1, 'the attempt made at start to fail');
    const during = await failure(s.process());
    expect(errorCode(during)).to.equal('SLUICE_DELIVERY_FAILED');
    expect((during as { details: { backoff?: boolean } }).details.backoff).to.equal(true);
    expect(s['ctx'].metrics.get('ConnectionFailedCount'), 'no connection attempt while backing off').to.equal(1);
    const server = await startAvscServer();
    closers.push(() => server.close());
    // The avsc server listens on a new port; point a proxy at it from the port the sink knows.
    const piped: net.Socket[] = [];
    const proxy = net.createServer((client) => {
      piped.push(client);
      const upstream = net.connect(server.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise((resolve) => {
      for (const socket of piped) socket.destroy();
      proxy.close(resolve);
    }));
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await s.process()).to.equal('ready');
    expect(server.events).to.have.length(4);
    expect(metric('ConnectionCreatedCount')).to.equal(1);
  });

  it('opens a new connection after resetConnectionInterval', async () => {
    const server = await avscServer();
    const s = await startSink(sinkConfig(server.port, { resetConnectionInterval: '200ms' }));
    await fill(harness, 2);
    await s.process();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await fill(harness, 2, 'later');
    await s.process();
    expect(server.events).to.have.length(4);
    expect(server.connections).to.equal(2);
    expect(metric('ConnectionCreatedCount')).to.equal(2);
    expect(metric('ConnectionClosedCount')).to.equal(1);
  });

  it('compresses the whole stream with deflate, understood by a zlib-wrapped avsc server and by the avro source', async () => {
    const server = await avscServer({ deflate: true });
    const s = await startSink(sinkConfig(server.port, { compressionType: 'deflate', compressionLevel: 9 }));
    await fill(harness, 50);
    expect(await s.process()).to.equal('ready');
    expect(server.events).to.have.length(50);
    await s.stop();

    const { source, harness: target } = await sluiceSource({ compressionType: 'deflate' });
    const s2 = await startSink(sinkConfig(source.port, { compressionType: 'deflate' }));
    await fill(harness, 20);
    expect(await s2.process()).to.equal('ready');
    expect(target.channel.size).to.equal(20);
  });

  it('rejects with non-retriable SLUICE_EVENT_REJECTED when the collector refuses the call itself (batch over its maxBatchEvents)', async () => {
    const { source, harness: target } = await sluiceSource({ maxBatchEvents: 10 });
    const s = await startSink(sinkConfig(source.port, { batchSize: 20 }));
    await fill(harness, 20);
    const error = await failure(s.process());
    expect(errorCode(error)).to.equal('SLUICE_EVENT_REJECTED');
    expect((error as { retriable: boolean }).retriable).to.equal(false);
    expect(harness.channel.size).to.equal(20);
    expect(target.channel.size).to.equal(0);
    expect(metric('ConnectionClosedCount'), 'the connection stays usable').to.equal(0);
  });

  describe('with TLS', () => {
    before(function () { requirePeers(this, 'openssl'); });
    let cert: TestCertificate;
    before(() => {
      cert = makeCertificate();
    });
    after(() => cert?.cleanup());

    it('verifies the collector against the truststore, or accepts any certificate with trustAllCerts', async () => {
      const { source, harness: target } = await sluiceSource({ ssl: true, keystore: cert.p12File, keystorePassword: cert.password });
      const trusted = await startSink(sinkConfig(source.port, { ssl: true, truststore: cert.certFile }));
      await fill(harness, 10);
      expect(await trusted.process()).to.equal('ready');
      await trusted.stop();
      const any = await startSink(sinkConfig(source.port, { ssl: true, trustAllCerts: true, compressionType: 'none' }));
      await fill(harness, 5);
      expect(await any.process()).to.equal('ready');
      expect(target.channel.size).to.equal(15);
    });

    it('refuses a collector whose certificate it does not trust (SLUICE_DELIVERY_FAILED, nothing committed)', async () => {
      const { source, harness: target } = await sluiceSource({ ssl: true, keystore: cert.p12File, keystorePassword: cert.password });
      const s = await startSink(sinkConfig(source.port, { ssl: true }));
      await fill(harness, 3);
      expect(errorCode(await failure(s.process()))).to.equal('SLUICE_DELIVERY_FAILED');
      expect(harness.channel.size).to.equal(3);
      expect(target.channel.size).to.equal(0);
    });
  });

  it('maps Flume avro sink keys (batch-size, connect-timeout in ms, reset-connection-interval in s)', () => {
    const config = avroSink.fromFlume!({ hostname: 'c1', port: '4141', 'batch-size': '500', 'connect-timeout': '15000', 'request-timeout': '3000', 'reset-connection-interval': '60', 'compression-type': 'DEFLATE', 'compression-level': '9', maxIoWorkers: '4' });
    expect(config).to.deep.equal({ hostname: 'c1', port: '4141', batchSize: '500', connectTimeout: '15000ms', requestTimeout: '3000ms', resetConnectionInterval: '60s', compressionType: 'deflate', compressionLevel: '9' });
  });
});

