import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { expect } from 'chai';
import { netcatUdpSource, type NetcatUdpSource, type NetcatUdpSourceConfig, type Source } from '@sluice/core';
import { loadTopology } from '@sluice/agent';
import { parseTopology } from '@sluice/config';
import { collectEvents, createHarness, requirePeers, sourceSuite, type SuiteHarness } from '../src/index.js';

const DEFAULTS: NetcatUdpSourceConfig = { bind: '127.0.0.1', port: 0, remoteAddressHeader: '', maxPending: 10000, receiveBufferSize: '4MiB', batchSize: 100 };

/** Sends each payload as one datagram from one socket; resolves once all are handed to the kernel. */
async function sendDatagrams(port: number, payloads: (string | Buffer)[]): Promise<{ port: number }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const from = socket.address().port;
  for (const payload of payloads) await new Promise<void>((resolve, reject) => socket.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return { port: from };
}

describe('netcat_udp conformance (Node dgram as the client)', () => {
  sourceSuite({
    factory: (ctx) => netcatUdpSource.create({ ...DEFAULTS }, ctx),
    produce: async (source: Source, bodies) => {
      // Groups of 25 datagrams stay far below the socket's receive buffer.
      for (let i = 0; i < bodies.length; i += 25) await sendDatagrams((source as NetcatUdpSource).port, bodies.slice(i, i + 25).map((b) => `${b}\n`));
    },
  });
});

describe('netcat_udp source, as Flume\'s NetcatUdpSource reads datagrams', function () {
  this.timeout(20000);
  let harness: SuiteHarness | undefined;
  let source: NetcatUdpSource | undefined;
  afterEach(async () => {
    await source?.stop();
    await harness?.close();
    source = undefined;
  });

  async function start(config: Partial<NetcatUdpSourceConfig> = {}): Promise<NetcatUdpSource> {
    harness = await createHarness();
    source = netcatUdpSource.create({ ...DEFAULTS, ...config }, harness.sourceContext('udp-in')) as NetcatUdpSource;
    await source.start();
    return source;
  }

  it('takes each datagram up to its first newline as one event, and records the sender as /address:port', async () => {
    const s = await start({ remoteAddressHeader: 'REMOTE_ADDRESS' });
    const { port } = await sendDatagrams(s.port, ['one\n', 'two\nthe rest is not read\n', 'no newline', Buffer.from([0x00, 0xff, 0x0a, 0x41])]);
    const events = await collectEvents(harness!, 4);
    expect(events.map((e) => e.body.toString('latin1'))).to.deep.equal(['one', 'two', 'no newline', '\u0000\u00ff']);
    expect(events.every((e) => e.headers.REMOTE_ADDRESS === `/127.0.0.1:${port}`)).to.equal(true);
  });

  it('receives what a real nc -u sends', async function () {
    requirePeers(this, 'nc');
    const s = await start();
    await new Promise<void>((resolve, reject) => {
      const nc = spawn('nc', ['-u', '-w', '1', '127.0.0.1', String(s.port)], { stdio: ['pipe', 'ignore', 'pipe'] });
      nc.on('error', reject);
      nc.on('close', () => resolve());
      nc.stdin.end('hello from nc\n');
    });
    const [event] = await collectEvents(harness!, 1);
    expect(event!.body.toString()).to.equal('hello from nc');
  });

  it('counts datagrams it cannot hold (maxPending) as EventDroppedCount, listed at zero from the start', async () => {
    const s = await start({ maxPending: 1 });
    const metrics = (s as unknown as { ctx: { metrics: { get(name: string): number; snapshot(): Record<string, number> } } }).ctx.metrics;
    expect(metrics.snapshot()).to.include({ EventDroppedCount: 0, KernelDroppedCount: 0 });
    await sendDatagrams(s.port, Array.from({ length: 50 }, (_, i) => `d${i}\n`));
    const delivered = (await collectEvents(harness!, 1)).length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(delivered + metrics.get('EventDroppedCount')).to.be.at.most(50);
    expect(metrics.get('EventDroppedCount')).to.be.greaterThan(0);
  });

  it('reads a Flume netcatudp source by its alias and its class name', async () => {
    for (const type of ['netcatudp', 'org.apache.flume.source.NetcatUdpSource']) {
      const raw = parseTopology(['a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1', `a1.sources.r1.type = ${type}`, 'a1.sources.r1.bind = 0.0.0.0',
        'a1.sources.r1.port = 5555', 'a1.sources.r1.remoteAddressHeader = REMOTE_ADDRESS', 'a1.sources.r1.channels = c1', 'a1.channels.c1.type = memory',
        'a1.sinks.k1.type = logger', 'a1.sinks.k1.channel = c1'].join('\n'), 'flume.properties');
      const { model, warnings } = await loadTopology(raw);
      expect(warnings).to.deep.equal([]);
      expect(model.agents.a1!.sources.r1).to.deep.include({ type: 'netcat_udp' });
      expect(model.agents.a1!.sources.r1!.config).to.deep.include({ bind: '0.0.0.0', port: 5555, remoteAddressHeader: 'REMOTE_ADDRESS' });
    }
  });
});
