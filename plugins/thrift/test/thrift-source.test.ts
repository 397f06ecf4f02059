import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SluiceEvent, Source } from '@sluice/core';
import { createHarness, eventually, requirePeers, sourceSuite, takeAll, type SuiteHarness } from '@sluice/testkit';
import {
  encodeAppendBatchCall, frameHeader, readSourceCall, FrameDecoder, protocolWriter, readReply, thriftSource, ThriftRpcClient, thriftSourceProblems,
  type ThriftProtocolName, type ThriftSource, type ThriftSourceConfig,
} from '../src/index.js';
import { GeneratedPeer } from './python-peer.js';

const sourceConfig = (overrides: Partial<ThriftSourceConfig> = {}): ThriftSourceConfig => ({
  bind: '127.0.0.1', port: 0, protocol: 'compact', ssl: false, keystore: '', keystorePassword: '', keystoreType: 'pkcs12', kerberos: false,
  maxFrameSize: '16MiB', frameTimeout: '30s', maxBatchEvents: 100000, maxConnections: 1000, ...overrides,
});

/** Sends `events` with our own client until the source answers OK. */
async function sendUntilOk(port: number, protocol: ThriftProtocolName, events: SluiceEvent[]): Promise<void> {
  const client = await ThriftRpcClient.connect({ host: '127.0.0.1', port, protocol, connectTimeoutMs: 2000, requestTimeoutMs: 5000 });
  try {
    while ((await client.appendBatch(events)) !== 'OK') await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    client.close();
  }
}

/** One raw framed exchange: sends `payload` and resolves the first answer frame (or undefined when the server closes). */
async function rawCall(port: number, payload: Buffer): Promise<Buffer | undefined> {
  const socket = net.connect(port, '127.0.0.1');
  const decoder = new FrameDecoder(1 << 20);
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      const [frame] = decoder.push(chunk);
      if (frame) {
        socket.destroy();
        resolve(frame);
      }
    });
    socket.on('close', () => resolve(undefined));
    socket.on('error', reject);
    socket.write(Buffer.concat([frameHeader(payload.length), payload]));
  });
}

describe('thrift source', function () {
  this.timeout(30000);
  let harness: SuiteHarness | undefined;
  let source: ThriftSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await harness?.close();
    source = undefined;
    harness = undefined;
  });

  async function startSource(overrides: Partial<ThriftSourceConfig> = {}, capacity?: number): Promise<ThriftSource> {
    harness = await createHarness(capacity === undefined ? {} : { capacity });
    source = thriftSource.create(sourceConfig(overrides), harness.sourceContext('thrift-in')) as ThriftSource;
    await source.start();
    return source;
  }

  for (const protocol of ['compact', 'binary'] as const) {
    it(`commits an appendBatch sent by our client (${protocol}), headers and binary bodies intact`, async () => {
      const s = await startSource({ protocol });
      const events: SluiceEvent[] = [{ headers: { host: 'web-1', 'ü': 'ß' }, body: Buffer.from([0, 1, 0xff, 0x0a]) }, { headers: {}, body: Buffer.alloc(0) }];
      await sendUntilOk(s.port, protocol, events);
      expect(await takeAll(harness!)).to.deep.equal(events);
    });
  }

  it('answers FAILED while the channel is full and commits nothing of that batch', async () => {
    const s = await startSource({}, 5);
    const client = await ThriftRpcClient.connect({ host: '127.0.0.1', port: s.port, protocol: 'compact', connectTimeoutMs: 2000, requestTimeoutMs: 5000 });
    try {
      const batch = Array.from({ length: 6 }, (_, i) => ({ headers: {}, body: Buffer.from(`e${i}`) }));
      expect(await client.appendBatch(batch)).to.equal('FAILED');
      expect(harness!.channel.size).to.equal(0);
      expect(await client.appendBatch(batch.slice(0, 5))).to.equal('OK');
      expect(harness!.channel.size).to.equal(5);
      // Counted once per call: the agent's source path counts batches, the source only single appends.
      const metrics = s['ctx'].metrics;
      expect([metrics.get('AppendBatchReceivedCount'), metrics.get('AppendBatchAcceptedCount'), metrics.get('ChannelWriteFail')]).to.deep.equal([2, 1, 1]);
    } finally {
      client.close();
    }
  });

  it('answers a call of an unknown method with a TApplicationException (UNKNOWN_METHOD) echoing its seqid', async () => {
    const s = await startSource();
    const call = protocolWriter('compact').messageBegin('appendAll', 1, 7).structBegin().structEnd().finish();
    const answer = await rawCall(s.port, call);
    expect(readReply('compact', answer!, 'appendAll')).to.deep.equal({ seqid: 7, exception: 'TApplicationException type 1: Invalid method name: \'appendAll\'' });
  });

  it('closes a connection that speaks the other protocol, saying so in the log', async () => {
    const s = await startSource({ protocol: 'compact' });
    expect(await rawCall(s.port, encodeAppendBatchCall('binary', 1, [{ headers: {}, body: Buffer.from('x') }]))).to.equal(undefined);
    expect(harness!.channel.size).to.equal(0);
  });

  it('closes a connection whose frame is over maxFrameSize', async () => {
    const s = await startSource({ maxFrameSize: '1KiB' });
    expect(await rawCall(s.port, encodeAppendBatchCall('compact', 1, [{ headers: {}, body: Buffer.alloc(2000) }]))).to.equal(undefined);
  });

  it('refuses kerberos and ssl without a keystore before start; maps Flume keys', () => {
    expect(thriftSourceProblems(sourceConfig({ kerberos: true })).map((p) => p.path)).to.deep.equal(['/kerberos']);
    expect(thriftSourceProblems(sourceConfig({ ssl: true })).map((p) => p.path)).to.deep.equal(['/keystore']);
    expect(thriftSource.fromFlume!({ bind: '0.0.0.0', port: '4141', threads: '8', protocol: 'BINARY', 'keystore-type': 'PKCS12', 'keystore-password': 'pw', kerberos: 'true', 'agent-principal': 'flume/_HOST@X' }))
      .to.deep.equal({ bind: '0.0.0.0', port: '4141', protocol: 'binary', keystoreType: 'pkcs12', keystorePassword: 'pw', kerberos: 'true' });
  });

  describe('with a python3-thrift client generated from Flume\'s IDL', function () {
    let peer: GeneratedPeer | undefined;
    before(function () {
      requirePeers(this, 'thrift');
      peer = new GeneratedPeer();
    });
    after(async () => peer?.cleanup());

    for (const protocol of ['compact', 'binary'] as const) {
      it(`the client gets OK for appendBatch and append once committed (${protocol})`, async () => {
        const s = await startSource({ protocol });
        const batches = [
          Array.from({ length: 50 }, (_, i) => ({ headers: { n: String(i), src: 'py' }, body: `py-${i}` })),
          [{ headers: { single: 'yes' }, body: 'one event through append' }],
        ];
        expect(await peer!.send(s.port, protocol, batches)).to.deep.equal([['OK'], ['OK']]);
        const events = await takeAll(harness!);
        expect(events.map((e) => ({ headers: e.headers, body: e.body.toString() }))).to.deep.equal(batches.flat());
      });
    }

    it('our appendBatch bytes equal those of the generated python client, byte for byte (compact and binary, long list, empty map, large body)', async () => {
      const batch: SluiceEvent[] = [
        { headers: { host: 'web-1', 'ü': 'ß' }, body: Buffer.from([0, 1, 0xff, 0x0a]) },
        { headers: {}, body: Buffer.alloc(0) },
        ...Array.from({ length: 20 }, (_, i) => ({ headers: { n: String(i) }, body: Buffer.alloc(i * 40, i) })),
        { headers: { big: 'yes' }, body: Buffer.alloc(70000, 7) },
      ];
      for (const protocol of ['compact', 'binary'] as const) {
        const theirs = await peer!.encode(protocol, batch);
        const ours = encodeAppendBatchCall(protocol, 0, batch);
        expect(ours.equals(theirs), `${protocol}: ours ${ours.subarray(0, 48).toString('hex')}... theirs ${theirs.subarray(0, 48).toString('hex')}...`).to.equal(true);
      }
    });

    it('skips fields it does not know (i64, bool, double, struct, map of lists, set, i16, an extra argument) sent by a client of an extended IDL', async () => {
      const batch: SluiceEvent[] = Array.from({ length: 17 }, (_, i) => ({ headers: { n: String(i) }, body: Buffer.from(`extended-${i}`) }));
      for (const protocol of ['compact', 'binary'] as const) {
        const call = await peer!.encode(protocol, batch, true);
        expect(call.length, 'the extended call carries more than the plain one').to.be.above(encodeAppendBatchCall(protocol, 0, batch).length + 17 * 20);
        expect(readSourceCall(protocol, call, 1000)).to.deep.equal({ method: 'appendBatch', seqid: 0, events: batch });
      }
    });

    it('the answer waits for the commit: no OK reaches the client before the channel committed', async () => {
      harness = await createHarness();
      const base = harness.sourceContext('thrift-in');
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let committed = false;
      source = thriftSource.create(sourceConfig(), { ...base, deliver: async (batch) => { await gate; await base.deliver(batch); committed = true; } }) as ThriftSource;
      await source.start();
      let answered = false;
      const sending = peer!.send(source.port, 'compact', [[{ headers: {}, body: 'a' }, { headers: {}, body: 'b' }]]).then((r) => {
        answered = true;
        expect(committed, 'committed before the answer').to.equal(true);
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(answered).to.equal(false);
      open();
      expect(await sending).to.deep.equal([['OK']]);
    });

    it('the client gets FAILED while the channel is full, then OK once a sink drained it; nothing lost or doubled', async () => {
      const s = await startSource({}, 10);
      const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 10 }, (_, i) => ({ headers: {}, body: `b${b}-${i}` })));
      const sending = peer!.send(s.port, 'compact', batches);
      const got: string[] = [];
      await new Promise((resolve) => setTimeout(resolve, 300));
      await eventually(async () => {
        got.push(...(await takeAll(harness!)).map((e) => e.body.toString()));
        return got.length >= 60;
      }, 'all 60 events', 20000);
      const statuses = await sending;
      expect(statuses.flat().filter((s) => s === 'FAILED').length, 'FAILED answers seen while full').to.be.greaterThan(0);
      expect(statuses.every((s) => s.at(-1) === 'OK')).to.equal(true);
      expect(got).to.deep.equal(batches.flat().map((e) => e.body));
    });

    it('serves TLS (PEM keystore) to the python client', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-thrift-tls-'));
      try {
        const cert = path.join(dir, 'cert.pem');
        const key = path.join(dir, 'key.pem');
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
          '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'pipe' });
        const keystore = path.join(dir, 'keystore.pem');
        writeFileSync(keystore, Buffer.concat([readFileSync(key), readFileSync(cert)]));
        const s = await startSource({ ssl: true, keystore, keystoreType: 'pem' });
        expect(await peer!.send(s.port, 'compact', [[{ headers: { tls: '1' }, body: 'over tls' }, { headers: {}, body: 'second' }]], cert)).to.deep.equal([['OK']]);
        expect((await takeAll(harness!)).map((e) => e.body.toString())).to.deep.equal(['over tls', 'second']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('thrift source conformance', () => {
  sourceSuite({
    factory: (ctx) => thriftSource.create(sourceConfig(), ctx),
    produce: async (source: Source, bodies) => {
      const port = (source as ThriftSource).port;
      for (const body of bodies) await sendUntilOk(port, 'compact', [{ headers: {}, body: Buffer.from(body) }]);
    },
    capabilities: { backpressure: true },
  });
});
