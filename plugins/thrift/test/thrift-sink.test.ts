import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SluiceEvent } from '@sluice/core';
import { createHarness, eventually, putAll, requirePeers, sinkSuite, type SuiteHarness } from '@sluice/testkit';
import { thriftSink, thriftSource, type ThriftSink, type ThriftSinkConfig, type ThriftSource } from '../src/index.js';
import { GeneratedPeer } from './python-peer.js';

const sinkConfig = (port: number, overrides: Partial<ThriftSinkConfig> = {}): ThriftSinkConfig => ({
  hostname: '127.0.0.1', port, protocol: 'compact', batchSize: 100, connectTimeout: '2s', requestTimeout: '5s', resetConnectionInterval: '0',
  reconnectBackoff: '50ms', maxReconnectBackoff: '200ms', ssl: false, trustAllCerts: false, truststore: '', kerberos: false, ...overrides,
});

const events = (n: number, prefix: string): SluiceEvent[] => Array.from({ length: n }, (_, i) => ({ headers: { seq: String(i) }, body: Buffer.from(`${prefix}-${i}`) }));

describe('thrift sink', function () {
  this.timeout(30000);

  it('refuses kerberos; maps Flume keys (ms timeouts, s reset interval, protocol case)', async () => {
    expect(thriftSink.check!(sinkConfig(1, { kerberos: true })).map((p) => p.path)).to.deep.equal(['/kerberos']);
    expect(thriftSink.fromFlume!({ hostname: 'c', port: '4545', 'batch-size': '500', 'connect-timeout': '3000', 'request-timeout': '4000', 'connection-reset-interval': '60', protocol: 'Binary', 'client-principal': 'x' }))
      .to.deep.equal({ hostname: 'c', port: '4545', batchSize: '500', connectTimeout: '3000ms', requestTimeout: '4000ms', resetConnectionInterval: '60s', protocol: 'binary' });
  });

  it('a batch refused with FAILED by our thrift source stays in the channel and is resent', async () => {
    const harness = await createHarness();
    const collector = await createHarness({ capacity: 5 });
    const source = thriftSource.create({ bind: '127.0.0.1', port: 0, protocol: 'binary', ssl: false, keystore: '', keystorePassword: '', keystoreType: 'pkcs12', kerberos: false, maxFrameSize: '16MiB', frameTimeout: '30s', maxBatchEvents: 1000, maxConnections: 10 }, collector.sourceContext()) as ThriftSource;
    await source.start();
    const sink = thriftSink.create(sinkConfig(source.port, { protocol: 'binary', batchSize: 5 }), harness.sinkContext()) as ThriftSink;
    try {
      await sink.start();
      await putAll(harness, events(10, 'r'));
      expect(await sink.process()).to.equal('ready');
      await sink.process().then(() => expect.fail('the second batch must be refused'), (error: { code: string }) => expect(error.code).to.equal('SLUICE_DELIVERY_FAILED'));
      expect(harness.channel.size).to.equal(5);
      const tx = collector.channel.transaction();
      const first = await tx.take(100);
      await tx.commit();
      expect(await sink.process()).to.equal('ready');
      const tx2 = collector.channel.transaction();
      const second = await tx2.take(100);
      await tx2.commit();
      expect([...first, ...second].map((e) => e.body.toString())).to.deep.equal(events(10, 'r').map((e) => e.body.toString()));
    } finally {
      await sink.stop();
      await source.stop();
      await harness.close();
      await collector.close();
    }
  });

  it('delivers over TLS to our thrift source, verifying its certificate against the truststore', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-thrift-tls-'));
    const harness = await createHarness();
    const collector = await createHarness();
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
    const keystore = path.join(dir, 'keystore.pem');
    writeFileSync(keystore, Buffer.concat([readFileSync(key), readFileSync(cert)]));
    const source = thriftSource.create({ bind: '127.0.0.1', port: 0, protocol: 'compact', ssl: true, keystore, keystorePassword: '', keystoreType: 'pem', kerberos: false, maxFrameSize: '16MiB', frameTimeout: '30s', maxBatchEvents: 1000, maxConnections: 10 }, collector.sourceContext()) as ThriftSource;
    await source.start();
    const trusted = thriftSink.create(sinkConfig(source.port, { hostname: 'localhost', ssl: true, truststore: cert }), harness.sinkContext()) as ThriftSink;
    const untrusting = thriftSink.create(sinkConfig(source.port, { hostname: 'localhost', ssl: true }), harness.sinkContext('untrusting')) as ThriftSink;
    try {
      await trusted.start();
      await untrusting.start();
      await putAll(harness, events(30, 'tls'));
      // Without the truststore the self-signed certificate is refused and the batch stays.
      await untrusting.process().then(() => expect.fail('an unverified certificate must be refused'), (error: { code: string }) => expect(error.code).to.equal('SLUICE_DELIVERY_FAILED'));
      expect(harness.channel.size).to.equal(30);
      expect(await trusted.process()).to.equal('ready');
      const tx = collector.channel.transaction();
      expect((await tx.take(100)).map((e) => e.body.toString())).to.deep.equal(events(30, 'tls').map((e) => e.body.toString()));
      await tx.commit();
    } finally {
      await trusted.stop();
      await untrusting.stop();
      await source.stop();
      await harness.close();
      await collector.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('delivering to a python3-thrift server generated from Flume\'s IDL', function () {
    let peer: GeneratedPeer | undefined;
    let harness: SuiteHarness | undefined;
    before(function () {
      requirePeers(this, 'thrift');
      peer = new GeneratedPeer();
    });
    afterEach(async () => harness?.close());
    after(async () => peer?.cleanup());

    for (const protocol of ['compact', 'binary'] as const) {
      it(`delivers every event with its headers (${protocol})`, async () => {
        const server = await peer!.serve(protocol);
        harness = await createHarness();
        const sink = thriftSink.create(sinkConfig(server.port, { protocol, batchSize: 64 }), harness.sinkContext()) as ThriftSink;
        await sink.start();
        const sent = events(300, protocol);
        await putAll(harness, sent);
        try {
          while (harness.channel.size > 0) expect(await sink.process()).to.equal('ready');
          await eventually(() => server.received.length >= 300, '300 events printed by the python server');
        } finally {
          await sink.stop();
        }
        expect(server.received).to.deep.equal(sent.map((e) => ({ headers: e.headers, body: e.body.toString() })));
        expect(harness.channel.size).to.equal(0);
      });
    }

    it('delivers over TLS to the python server (TSSLServerSocket), trusting its certificate through the truststore', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-thrift-tls-'));
      try {
        const cert = path.join(dir, 'cert.pem');
        const key = path.join(dir, 'key.pem');
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
          '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
        const pem = path.join(dir, 'server.pem');
        writeFileSync(pem, Buffer.concat([readFileSync(key), readFileSync(cert)]));
        const server = await peer!.serve('compact', 0, undefined, pem);
        harness = await createHarness();
        const sink = thriftSink.create(sinkConfig(server.port, { hostname: 'localhost', ssl: true, truststore: cert, batchSize: 50 }), harness.sinkContext()) as ThriftSink;
        await sink.start();
        const sent = events(120, 'tls');
        await putAll(harness, sent);
        try {
          while (harness.channel.size > 0) expect(await sink.process()).to.equal('ready');
          await eventually(() => server.received.length >= 120, '120 events printed by the python TLS server');
        } finally {
          await sink.stop();
        }
        expect(server.received.map((e) => e.body)).to.deep.equal(sent.map((e) => e.body.toString()));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('rolls back batches the server answers FAILED and resends them until OK', async () => {
      const server = await peer!.serve('compact', 3);
      harness = await createHarness();
      const sink = thriftSink.create(sinkConfig(server.port, { batchSize: 10 }), harness.sinkContext()) as ThriftSink;
      await sink.start();
      await putAll(harness, events(30, 'f'));
      const failures: string[] = [];
      const deadline = Date.now() + 15000;
      while (server.received.length < 30 && Date.now() < deadline) {
        await sink.process().catch((error: { code: string }) => failures.push(error.code));
        await new Promise((resolve) => setTimeout(resolve, 10)); // the python server prints what it accepted
      }
      await sink.stop();
      expect(failures).to.deep.equal(['SLUICE_DELIVERY_FAILED', 'SLUICE_DELIVERY_FAILED', 'SLUICE_DELIVERY_FAILED']);
      expect(server.received.map((e) => e.body)).to.deep.equal(events(30, 'f').map((e) => e.body.toString()));
    });

    describe('sink conformance against the python server', () => {
      type Server = Awaited<ReturnType<GeneratedPeer['serve']>>;
      let servers: Server[] = [];
      const stopServers = async () => {
        await Promise.all(servers.map((s) => new Promise((resolve) => (s.child.exitCode === null && s.child.signalCode === null ? s.child.once('exit', resolve).kill('SIGKILL') : resolve(undefined)))));
      };
      sinkSuite({
        factory: async (ctx) => {
          servers = [await peer!.serve('compact')];
          return thriftSink.create(sinkConfig(servers[0]!.port, { batchSize: 40, requestTimeout: '1s' }), ctx);
        },
        readBack: async () => {
          // The server prints an event before it answers OK, but its stdout may reach us after the answer.
          const count = () => servers.reduce((n, s) => n + s.received.length, 0);
          for (let before = -1; before !== count(); ) {
            before = count();
            await new Promise((resolve) => setTimeout(resolve, 150));
          }
          return servers.flatMap((s) => s.received.map((e) => e.body));
        },
        // The collector goes away (killed) and comes back on the same port.
        breakDestination: async () => {
          const last = servers.at(-1)!;
          await new Promise((resolve) => last.child.once('exit', resolve).kill('SIGKILL'));
        },
        healDestination: async () => {
          const last = servers.at(-1)!.child;
          if (last.exitCode !== null || last.signalCode !== null) servers.push(await peer!.serve('compact', 0, servers[0]!.port));
        },
        capabilities: { failureInjection: true },
        cleanup: stopServers,
      });
    });
  });
});
