import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { createComponentContext, type Logger, type SluiceEvent, type SourceContext } from '@sluice/core';
import { createHarness, eventually, sourceSuite, takeAll, type SuiteHarness, requirePeers } from '@sluice/testkit';
import {
  avroSource, AvroReader, AvroWriter, encodeAppendBatchCall, encodeNettyFrame, md5, PROTOCOL_HASH, PROTOCOL_JSON,
  readCallResult, readHandshakeResponse, writeHandshakeRequest, type AvroSource, type AvroSourceConfig,
} from '../src/index.js';
import { connectAvscClient, flumeService, type AvscClient } from './peers.js';
import { makeCertificate, RawClient, type TestCertificate } from './raw-client.js';

const BASE: AvroSourceConfig = {
  bind: '127.0.0.1', port: 0, compressionType: 'none', compressionLevel: 6, ssl: false, keystore: '', keystorePassword: '',
  keystoreType: 'pkcs12', ipFilter: false, ipFilterRules: '', maxFrameSize: '64MiB', maxPendingBytes: '128MiB', frameTimeout: '30s', idleTimeout: '10m', maxBatchEvents: 100000, maxConnections: 1000,
};

const batch = (prefix: string, n: number): SluiceEvent[] =>
  Array.from({ length: n }, (_, i) => ({ headers: { seq: String(i), from: prefix }, body: Buffer.from(`${prefix}-${i}`) }));

/** The handshake the Java client sends first: its hash, no protocol text, and a guess of ours. */
function handshake(clientProtocol: string | null, serverHash: Buffer, clientHash = md5(clientProtocol ?? 'a client protocol we never sent')): AvroWriter {
  return writeHandshakeRequest(new AvroWriter(), { clientHash, clientProtocol, serverHash, meta: null });
}

/** A Logger that records messages, to observe what the source noticed. */
function recordingLogger(into: string[]): Logger {
  const log = (obj: object | string, msg?: string) => into.push(typeof obj === 'string' ? obj : msg ?? '');
  const logger: Logger = { trace: log, debug: log, info: log, warn: log, error: log, fatal: log, child: () => logger };
  return logger;
}

describe('avro source', () => {
  let harness: SuiteHarness;
  let source: AvroSource | undefined;
  const clients: { destroy?(): void; close?(): void }[] = [];

  async function start(overrides: Partial<AvroSourceConfig> = {}, ctx?: SourceContext): Promise<AvroSource> {
    source = avroSource.create({ ...BASE, ...overrides }, ctx ?? harness.sourceContext()) as AvroSource;
    await source.start();
    return source;
  }
  async function avsc(port: number, options: Parameters<typeof connectAvscClient>[1] = {}): Promise<AvscClient> {
    const client = await connectAvscClient(port, options);
    clients.push(client);
    return client;
  }
  async function raw(port: number): Promise<RawClient> {
    const client = await RawClient.connect(port);
    clients.push(client);
    return client;
  }

  beforeEach(async () => {
    harness = await createHarness();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) (c.close ?? c.destroy)!.call(c);
    await source?.stop();
    source = undefined;
    await harness.close();
  });

  it('answers OK to an avsc client\'s appendBatch and append, with headers and bodies committed', async () => {
    const s = await start();
    const client = await avsc(s.port);
    expect(await client.appendBatch(batch('b', 3))).to.equal('OK');
    expect(await client.append({ headers: { single: 'yes' }, body: Buffer.from('one') })).to.equal('OK');
    const got = await takeAll(harness, 100000);
    expect(got.map((e) => e.body.toString())).to.deep.equal(['b-0', 'b-1', 'b-2', 'one']);
    expect(got[1]!.headers).to.deep.equal({ seq: '1', from: 'b' });
    expect(got[3]!.headers).to.deep.equal({ single: 'yes' });
    expect(s['ctx'].metrics.get('AppendAcceptedCount')).to.equal(1);
    expect(s['ctx'].metrics.get('EventAcceptedCount')).to.equal(4);
  });

  it('answers an unknown client hash with NONE and its protocol, then CLIENT/BOTH once the client sends its protocol', async () => {
    const s = await start();
    const client = await raw(s.port);
    const call = encodeAppendBatchCall(batch('h', 1));
    client.send(encodeNettyFrame(1, [handshake(null, Buffer.alloc(16)).finish(), call]));
    const first = new AvroReader((await client.nextFrame())!.payload);
    const none = readHandshakeResponse(first);
    expect(none.match).to.equal('NONE');
    expect(none.serverProtocol).to.be.a('string');
    expect(none.serverHash!.equals(md5(none.serverProtocol!)), 'serverHash is the MD5 of the protocol text sent').to.equal(true);
    expect(first.remaining, 'a NONE answer carries only the handshake').to.equal(0);
    expect(harness.channel.size).to.equal(0);

    // The Java client resends with its protocol text and the server hash it just learned.
    const clientJson = JSON.stringify(flumeService.protocol);
    client.send(encodeNettyFrame(2, [handshake(clientJson, none.serverHash!).finish(), call]));
    const second = new AvroReader((await client.nextFrame())!.payload);
    const both = readHandshakeResponse(second);
    expect(both).to.deep.equal({ match: 'BOTH', serverProtocol: null, serverHash: null, meta: null });
    expect(readCallResult(second)).to.deep.equal({ status: 'OK' });

    // Established: later calls carry no handshake, and the answer is exactly 00 00 00.
    client.send(encodeNettyFrame(3, [call.subarray(0, 5), Buffer.alloc(0), call.subarray(5)]));
    const third = (await client.nextFrame())!;
    expect(third.serial).to.equal(3);
    expect(third.payload.toString('hex')).to.equal('000000');
    expect(harness.channel.size).to.equal(2);

    // A second connection with the same (now known) client hash but a stale server hash gets CLIENT at once.
    const other = await raw(s.port);
    other.send(encodeNettyFrame(9, [handshake(null, md5('stale'), md5(clientJson)).finish(), call]));
    const reply = new AvroReader((await other.nextFrame())!.payload);
    const clientMatch = readHandshakeResponse(reply);
    expect(clientMatch.match).to.equal('CLIENT');
    expect(clientMatch.serverProtocol).to.equal(PROTOCOL_JSON);
    expect(clientMatch.serverHash!.equals(PROTOCOL_HASH)).to.equal(true);
    expect(readCallResult(reply)).to.deep.equal({ status: 'OK' });
  });

  it('answers OK only after the channel commit has finished', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const inner = harness.sourceContext();
    const committed: number[] = [];
    let waiting = false;
    const ctx: SourceContext = {
      ...createComponentContext({ name: 'gated', kind: 'SOURCE' }),
      deliver: async (events) => {
        waiting = true;
        await gate;
        await inner.deliver(events);
        committed.push(events.length);
      },
    };
    const s = await start({}, ctx);
    const client = await avsc(s.port);
    let answered = false;
    const reply = client.appendBatch(batch('g', 4)).then((status) => {
      answered = true;
      return status;
    });
    await eventually(() => waiting, 'the call to reach the channel');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered, 'no answer while the commit is pending').to.equal(false);
    open();
    expect(await reply).to.equal('OK');
    expect(committed).to.deep.equal([4]);
  });

  it('answers FAILED when the channel is full, commits nothing of that batch, and OK again once there is room', async () => {
    await harness.close();
    harness = await createHarness({ capacity: 5 });
    const s = await start();
    const client = await avsc(s.port);
    expect(await client.appendBatch(batch('fits', 5))).to.equal('OK');
    expect(await client.appendBatch(batch('full', 3))).to.equal('FAILED');
    expect(harness.channel.size).to.equal(5);
    expect(s['ctx'].metrics.get('ChannelWriteFail')).to.equal(1);
    await takeAll(harness, 100000);
    expect(await client.appendBatch(batch('full', 3))).to.equal('OK');
    expect((await takeAll(harness, 100000)).map((e) => e.body.toString())).to.deep.equal(['full-0', 'full-1', 'full-2']);
  });

  it('survives garbage, an oversized frame, a malformed call and a close mid-frame while another client keeps being served', async () => {
    const logged: string[] = [];
    const ctx = harness.sourceContext();
    const s = await start({ maxFrameSize: '1MiB', maxPendingBytes: '128MiB', frameTimeout: '30s', idleTimeout: '10m', maxBatchEvents: 10 }, { ...ctx, logger: recordingLogger(logged) });
    const good = await avsc(s.port);
    expect(await good.appendBatch(batch('good', 5))).to.equal('OK');

    const garbage = await raw(s.port);
    garbage.send(Buffer.from('GET / HTTP/1.1\r\nHost: collector\r\n\r\n'));
    await garbage.closed;
    expect(await good.appendBatch(batch('after-garbage', 1))).to.equal('OK');

    // Established connection, then a frame announcing 2 MiB: error answer for that serial, then close.
    const big = await raw(s.port);
    big.send(encodeNettyFrame(1, [handshake(JSON.stringify(flumeService.protocol), PROTOCOL_HASH).long(0).string('').finish()]));
    expect(readHandshakeResponse(new AvroReader((await big.nextFrame())!.payload)).match).to.equal('BOTH');
    const header = Buffer.alloc(12);
    header.writeInt32BE(77, 0);
    header.writeInt32BE(1, 4);
    header.writeInt32BE(2 * 1024 * 1024, 8);
    big.send(Buffer.concat([header, Buffer.alloc(4096, 1)]));
    const refusal = await big.nextFrame();
    expect(refusal?.serial).to.equal(77);
    expect(readCallResult(new AvroReader(refusal!.payload))).to.have.property('error').that.matches(/maxFrameSize/);
    await big.closed;

    // Well-framed but malformed calls get an error answer and the connection stays usable.
    const sloppy = await raw(s.port);
    sloppy.send(encodeNettyFrame(1, [handshake(JSON.stringify(flumeService.protocol), PROTOCOL_HASH).long(0).string('').finish()]));
    await sloppy.nextFrame();
    sloppy.send(encodeNettyFrame(2, [Buffer.from([0x00, 0x16]), Buffer.from('appendBatch'), Buffer.from([0xfe, 0xff, 0xff, 0x0f])]));
    expect(readCallResult(new AvroReader((await sloppy.nextFrame())!.payload))).to.have.property('error');
    sloppy.send(encodeNettyFrame(3, [encodeAppendBatchCall(batch('too-many', 11))]));
    expect(readCallResult(new AvroReader((await sloppy.nextFrame())!.payload))).to.have.property('error').that.matches(/maxBatchEvents/);
    sloppy.send(encodeNettyFrame(4, [encodeAppendBatchCall([])]).subarray(0, 6));
    sloppy.send(encodeNettyFrame(4, [encodeAppendBatchCall([])]).subarray(6));
    sloppy.send(encodeNettyFrame(5, [Buffer.from([0, 0x0c]), Buffer.from('launch')]));
    expect(readCallResult(new AvroReader((await sloppy.nextFrame())!.payload))).to.deep.equal({ status: 'OK' });
    expect(readCallResult(new AvroReader((await sloppy.nextFrame())!.payload))).to.have.property('error').that.matches(/No such remote message/);

    // Half a frame, then the client vanishes.
    const quitter = await raw(s.port);
    const frame = encodeNettyFrame(1, [handshake(JSON.stringify(flumeService.protocol), PROTOCOL_HASH).finish(), encodeAppendBatchCall(batch('lost', 3))]);
    quitter.send(frame.subarray(0, frame.length - 7));
    quitter.socket.end();
    await eventually(() => logged.some((m) => /middle of a frame/.test(m)), 'the source to notice the close mid-frame');

    expect(await good.appendBatch(batch('last', 2))).to.equal('OK');
    const bodies = (await takeAll(harness, 100000)).map((e) => e.body.toString());
    expect(bodies).to.deep.equal(['good-0', 'good-1', 'good-2', 'good-3', 'good-4', 'after-garbage-0', 'last-0', 'last-1']);
    expect(s['ctx'].metrics.get('EventReadFail')).to.be.at.least(4);
    expect(harness.events.filter((e) => e.type === 'component.error' && e.component === s.name).length, 'bad input is reported as component.error').to.be.at.least(4);
  });

  it('answers the frames a chunk completed before a bad frame, then closes', async () => {
    const s = await start();
    const client = await raw(s.port);
    const good = encodeNettyFrame(1, [handshake(JSON.stringify(flumeService.protocol), PROTOCOL_HASH).finish(), encodeAppendBatchCall(batch('before-garbage', 2))]);
    client.send(Buffer.concat([good, Buffer.from('GET / HTTP/1.1\r\n\r\n')]));
    const answer = await client.nextFrame();
    expect(answer?.serial).to.equal(1);
    await client.closed;
    expect((await takeAll(harness)).map((e) => e.body.toString())).to.deep.equal(['before-garbage-0', 'before-garbage-1']);
  });

  it('closes a connection whose frame does not arrive whole within frameTimeout, and an idle one after idleTimeout', async () => {
    const s = await start({ frameTimeout: '300ms', idleTimeout: '600ms' });
    const slow = await raw(s.port);
    const frame = encodeNettyFrame(1, [handshake(JSON.stringify(flumeService.protocol), PROTOCOL_HASH).finish(), encodeAppendBatchCall(batch('slow', 3))]);
    slow.send(frame.subarray(0, frame.length - 5));
    const idle = await raw(s.port);
    const started = Date.now();
    await slow.closed;
    const slowMs = Date.now() - started;
    await idle.closed;
    const idleMs = Date.now() - started;
    expect(slowMs, 'the half frame is cut by frameTimeout').to.be.below(idleMs);
    expect(await takeAll(harness)).to.deep.equal([]);
    expect((s as unknown as { pending: { used: number } }).pending.used).to.equal(0);
  });

  it('drops the connection whose unfinished frame would pass maxPendingBytes; the others are served', async () => {
    const s = await start({ maxPendingBytes: '100KiB', maxFrameSize: '1MiB' });
    const header = (serial: number): Buffer => {
      const h = Buffer.alloc(12);
      h.writeInt32BE(serial, 0);
      h.writeInt32BE(1, 4);
      h.writeInt32BE(512 * 1024, 8);
      return h;
    };
    const first = await raw(s.port);
    first.send(Buffer.concat([header(1), Buffer.alloc(60 * 1024, 1)]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await raw(s.port);
    second.send(Buffer.concat([header(1), Buffer.alloc(60 * 1024, 1)]));
    await second.closed;
    expect(first.socket.destroyed, 'the connection that fit is still open').to.equal(false);
    first.socket.destroy();
    await first.closed;
    const good = await avsc(s.port);
    expect(await good.appendBatch(batch('after', 1))).to.equal('OK');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((s as unknown as { pending: { used: number } }).pending.used).to.equal(0);
  });

  it('logs a flood of bad clients as one line per interval with a count, not one line each', async () => {
    const logged: string[] = [];
    const s = await start({}, { ...harness.sourceContext(), logger: recordingLogger(logged) });
    for (let i = 0; i < 50; i++) {
      const garbage = await raw(s.port);
      garbage.send(Buffer.from('GET / HTTP/1.1\r\nHost: collector\r\n\r\n'));
      await garbage.closed;
    }
    expect(s['ctx'].metrics.get('EventReadFail')).to.equal(50);
    expect(logged.filter((m) => /bad frame/.test(m))).to.have.length(1);
    await s.stop();
    // Stopping reports what the interval swallowed.
    expect(logged.filter((m) => /bad frame/.test(m))).to.have.length(2);
  });

  it('serves many concurrent clients, committing every batch exactly once', async () => {
    const s = await start();
    const senders = await Promise.all(Array.from({ length: 12 }, () => avsc(s.port)));
    const statuses = await Promise.all(senders.map(async (client, c) => {
      const answers: string[] = [];
      for (let b = 0; b < 10; b++) answers.push(await client.appendBatch(batch(`c${c}b${b}`, 50)));
      return answers;
    }));
    expect(statuses.flat().every((status) => status === 'OK')).to.equal(true);
    const bodies = (await takeAll(harness, 100000)).map((e) => e.body.toString());
    expect(bodies).to.have.length(12 * 10 * 50);
    expect(new Set(bodies).size).to.equal(bodies.length);
  });

  it('stop() answers the call being committed before it closes the connection', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const inner = harness.sourceContext();
    let entered = false;
    const ctx: SourceContext = {
      ...inner,
      deliver: async (events) => {
        entered = true;
        await gate;
        await inner.deliver(events);
      },
    };
    const s = await start({}, ctx);
    const client = await avsc(s.port);
    const reply = client.appendBatch(batch('inflight', 3));
    await eventually(() => entered, 'the call to reach the channel');
    const stopping = s.stop();
    open();
    expect(await reply).to.equal('OK');
    await stopping;
    expect(harness.channel.size).to.equal(3);
  });

  it('closes connections beyond maxConnections and keeps serving the others', async () => {
    const s = await start({ maxConnections: 2 });
    const first = await avsc(s.port);
    const second = await avsc(s.port);
    expect(await first.appendBatch(batch('one', 1))).to.equal('OK');
    expect(await second.appendBatch(batch('two', 1))).to.equal('OK');
    const third = await raw(s.port);
    await third.closed;
    expect(s['ctx'].metrics.get('ConnectionRejectedCount')).to.equal(1);
    expect(await first.appendBatch(batch('again', 1))).to.equal('OK');
    expect(harness.channel.size).to.equal(3);
  });

  it('applies ipFilterRules in Flume syntax: first match wins', async () => {
    const denied = await start({ ipFilter: true, ipFilterRules: 'deny:ip:127.*,allow:ip:*' });
    const refused = await raw(denied.port);
    await refused.closed;
    expect(denied['ctx'].metrics.get('ConnectionRejectedCount')).to.equal(1);
    await denied.stop();
    const allowed = await start({ ipFilter: true, ipFilterRules: 'allow:name:localhost,deny:ip:*' });
    expect(await (await avsc(allowed.port)).appendBatch(batch('ok', 1))).to.equal('OK');
  });

  it('refuses ipFilter without rules and ssl without a keystore with SLUICE_CONFIG_INVALID', () => {
    expect(() => avroSource.create({ ...BASE, ipFilter: true }, harness.sourceContext())).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    expect(() => avroSource.create({ ...BASE, ipFilter: true, ipFilterRules: 'permit:ip:*' }, harness.sourceContext())).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    expect(() => avroSource.create({ ...BASE, ssl: true }, harness.sourceContext())).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });

  it('maps Flume avro source keys (compression-type, keystore-password, keystore-type; threads is ignored)', () => {
    expect(avroSource.fromFlume!({
      bind: '0.0.0.0', port: '4141', threads: '8', 'compression-type': 'DEFLATE', ssl: 'true', keystore: '/etc/ks.p12',
      'keystore-password': 'pw', 'keystore-type': 'PKCS12', ipFilter: 'true', ipFilterRules: 'allow:ip:10.*,deny:ip:*',
    })).to.deep.equal({
      bind: '0.0.0.0', port: '4141', compressionType: 'deflate', ssl: 'true', keystore: '/etc/ks.p12',
      keystorePassword: 'pw', keystoreType: 'pkcs12', ipFilter: 'true', ipFilterRules: 'allow:ip:10.*,deny:ip:*',
    });
  });

  it('fails to start with SLUICE_COMPONENT_START when the port is taken', async () => {
    const s = await start();
    const second = avroSource.create({ ...BASE, port: s.port }, harness.sourceContext());
    let caught: unknown;
    await second.start().catch((error: unknown) => (caught = error));
    expect(caught).to.have.property('code', 'SLUICE_COMPONENT_START');
  });

  it('serves an avsc client through a zlib stream (compressionType deflate)', async () => {
    const s = await start({ compressionType: 'deflate' });
    const client = await avsc(s.port, { deflate: true });
    expect(await client.appendBatch(batch('z', 50))).to.equal('OK');
    expect(await client.appendBatch(batch('y', 1))).to.equal('OK');
    expect(harness.channel.size).to.equal(51);
  });

  describe('with TLS', () => {
    before(function () { requirePeers(this, 'openssl'); });
    let cert: TestCertificate;
    before(() => {
      cert = makeCertificate();
    });
    after(() => cert?.cleanup());

    it('serves TLS clients from a PKCS#12 keystore and from a PEM keystore', async () => {
      const p12 = await start({ ssl: true, keystore: cert.p12File, keystorePassword: cert.password });
      const client = await avsc(p12.port, { tls: { ca: [readFileSync(cert.certFile)], servername: 'localhost' } });
      expect(await client.appendBatch(batch('tls', 2))).to.equal('OK');
      await p12.stop();
      const pem = await start({ ssl: true, keystore: cert.pemFile, keystoreType: 'pem', compressionType: 'deflate' });
      const both = await avsc(pem.port, { tls: { rejectUnauthorized: false }, deflate: true });
      expect(await both.appendBatch(batch('tls-zlib', 3))).to.equal('OK');
      expect(harness.channel.size).to.equal(5);
    });
  });
});

describe('avro source conformance', () => {
  const open: AvscClient[] = [];
  sourceSuite({
    factory: (ctx) => avroSource.create({ ...BASE }, ctx),
    produce: async (source, bodies) => {
      const client = await connectAvscClient((source as AvroSource).port);
      open.push(client);
      for (let i = 0; i < bodies.length; i += 3) {
        const events = bodies.slice(i, i + 3).map((b) => ({ headers: {}, body: Buffer.from(b) }));
        while ((await client.appendBatch(events)) !== 'OK') await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    capabilities: { backpressure: true },
    cleanup: () => {
      for (const c of open.splice(0)) c.close();
    },
  });
});
