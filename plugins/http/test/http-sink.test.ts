import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createComponentContext, createEvent, errorCode, isRetriable, MemoryChannel, memoryChannel, type SinkContext } from '@sluice/core';
import { eventually, runAgent, type RunningAgent, sinkSuite, takeAll, requirePeers } from '@sluice/testkit';
import { httpSink, type HttpSink, type HttpSinkConfig, type HttpSource } from '../src/index.js';
import { startSource } from './helpers.js';

/**
 * A destination built on Node's own HTTP server: it records every request and answers with
 * `status` (200 unless a test changes it); `hang` makes it never answer.
 */
class Destination {
  readonly requests: { headers: http.IncomingHttpHeaders; body: string; status: number }[] = [];
  status = 200;
  hang = false;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.hang || req.socket.destroyed) return;
      this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status: this.status });
      res.writeHead(this.status, { 'Content-Type': 'text/plain' }).end(this.status === 200 ? 'ok' : 'refused by test');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/ingest`;
  }

  /** Every event body of the JSON requests answered 200, in order. */
  accepted(): string[] {
    return this.requests.filter((r) => r.status === 200).flatMap((r) => (JSON.parse(r.body) as { body: string }[]).map((e) => e.body));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const SINK_DEFAULTS: Omit<HttpSinkConfig, 'endpoint'> = {
  format: 'json', contentType: '', compression: 'none', headers: {}, authToken: '', ca: '', connectTimeout: '2s', requestTimeout: '2s', batchSize: 100,
};

describe('http sink conformance (Node http server as the destination)', () => {
  let destination: Destination;
  let url = '';
  sinkSuite({
    factory: async (ctx) => {
      destination = new Destination();
      url = await destination.start();
      return httpSink.create({ ...SINK_DEFAULTS, endpoint: url }, ctx);
    },
    readBack: async () => destination.accepted(),
    breakDestination: async () => { destination.status = 503; },
    healDestination: async () => { destination.status = 200; },
    capabilities: { failureInjection: true },
    cleanup: () => destination.close(),
  });
});

describe('http sink outcomes', () => {
  let destination: Destination;
  let channel: MemoryChannel;
  let sink: HttpSink;

  async function setUp(config: Partial<HttpSinkConfig> = {}): Promise<void> {
    destination = new Destination();
    const url = await destination.start();
    channel = memoryChannel.create({ capacity: 1000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c', kind: 'CHANNEL' })) as MemoryChannel;
    await channel.start();
    const ctx: SinkContext = { ...createComponentContext({ name: 'to-http', kind: 'SINK' }), channel };
    sink = httpSink.create({ ...SINK_DEFAULTS, endpoint: url, ...config }, ctx) as HttpSink;
    await sink.start();
    const tx = channel.transaction();
    tx.put([createEvent('one', { h: '1' }), createEvent('two')]);
    await tx.commit();
  }

  afterEach(async () => {
    await sink?.stop();
    await channel?.stop();
    await destination?.close();
  });

  async function failure(): Promise<unknown> {
    try {
      await sink.process();
    } catch (error) {
      return error;
    }
    throw new Error('process() resolved, a rejection was expected');
  }

  it('sends configured headers, the bearer token and the Flume JSON shape, and commits on 2xx', async () => {
    await setUp({ headers: { 'X-Tenant': 'blue' }, authToken: 'tok' });
    expect(await sink.process()).to.equal('ready');
    const [request] = destination.requests;
    expect(request!.headers).to.include({ 'x-tenant': 'blue', authorization: 'Bearer tok', 'content-type': 'application/json; charset=utf-8' });
    expect(JSON.parse(request!.body)).to.deep.equal([{ headers: { h: '1' }, body: 'one' }, { headers: {}, body: 'two' }]);
    expect(channel.size).to.equal(0);
  });

  it('sends ndjson, one {headers, body} object per line', async () => {
    await setUp({ format: 'ndjson' });
    await sink.process();
    expect(destination.requests[0]!.body.split('\n').filter(Boolean).map((l) => JSON.parse(l))).to.deep.equal([{ headers: { h: '1' }, body: 'one' }, { headers: {}, body: 'two' }]);
  });

  it('posts each raw body as its own request with format body, as Flume\'s HttpSink does', async () => {
    await setUp({ format: 'body', contentType: 'text/x-log' });
    await sink.process();
    expect(destination.requests.map((r) => [r.headers['content-type'], r.body])).to.deep.equal([['text/x-log', 'one'], ['text/x-log', 'two']]);
    expect(channel.size).to.equal(0);
  });

  it('translates a Flume HttpSink configuration (raw bodies, one event per transaction, millisecond timeouts)', () => {
    expect(httpSink.fromFlume!({ endpoint: 'http://h:80/', contentTypeHeader: 'text/plain', acceptHeader: 'text/plain', requestTimeout: '2000', connectTimeout: '500' })).to.deep.equal({
      format: 'body', batchSize: 1, endpoint: 'http://h:80/', contentType: 'text/plain', headers: { Accept: 'text/plain' }, requestTimeout: '2000ms', connectTimeout: '500ms',
    });
  });

  it('rolls back with retriable SLUICE_DELIVERY_FAILED on 5xx and 429', async () => {
    await setUp();
    for (const status of [500, 503, 429]) {
      destination.status = status;
      const error = await failure();
      expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
      expect(isRetriable(error)).to.equal(true);
      expect(channel.size).to.equal(2);
    }
  });

  it('rejects with non-retriable SLUICE_EVENT_REJECTED on 400 and keeps the batch when no dead letter is configured', async () => {
    await setUp();
    destination.status = 400;
    const error = await failure();
    expect(errorCode(error)).to.equal('SLUICE_EVENT_REJECTED');
    expect(isRetriable(error)).to.equal(false);
    expect(channel.size).to.equal(2);
  });

  it('times out a destination that never answers with SLUICE_DELIVERY_FAILED', async () => {
    await setUp({ requestTimeout: '300ms' });
    destination.hang = true;
    const error = await failure();
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    expect(channel.size).to.equal(2);
  });

  it('resends at once on a fresh connection when a kept-alive connection was closed by the server', async () => {
    await setUp();
    // Close the first connection abruptly when its second request arrives, as a server whose
    // idle timeout fired at that moment would.
    const seen = new WeakMap<object, number>();
    destination['server'].prependListener('request', (req: http.IncomingMessage) => {
      const n = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, n);
      if (n === 2 && destination.requests.length === 1) req.socket.destroy();
    });
    expect(await sink.process()).to.equal('ready');
    const tx = channel.transaction();
    tx.put([createEvent('three')]);
    await tx.commit();
    expect(await sink.process()).to.equal('ready');
    expect(destination.accepted()).to.deep.equal(['one', 'two', 'three']);
    expect(sink['ctx'].metrics.get('ConnectionCreatedCount')).to.equal(2);
  });

  it('fails to start with SLUICE_COMPONENT_START when the ca file is missing', async () => {
    await setUp();
    const broken = httpSink.create({ ...SINK_DEFAULTS, endpoint: 'https://127.0.0.1:1/', ca: '/nonexistent/ca.pem' }, { ...createComponentContext({ name: 'k', kind: 'SINK' }), channel }) as HttpSink;
    let failure: unknown;
    await broken.start().catch((error: unknown) => (failure = error));
    expect(errorCode(failure)).to.equal('SLUICE_COMPONENT_START');
  });

  it('fails with SLUICE_DELIVERY_FAILED when nothing listens at the endpoint', async () => {
    await setUp();
    await destination.close();
    const error = await failure();
    expect(errorCode(error)).to.equal('SLUICE_DELIVERY_FAILED');
    expect(channel.size).to.equal(2);
  });
});

describe('http sink to an HTTPS endpoint', () => {
  before(function () { requirePeers(this, 'openssl'); });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-http-sink-tls-'));
  const file = (name: string): string => path.join(dir, name);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers to an https http source it trusts through `ca`, and fails retriably without it', async () => {
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-keyout', file('server.key'), '-out', file('server.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1']);
    const source = await startSource({ tls: { enabled: true, cert: file('server.pem'), key: file('server.key'), ca: '', requireClientCert: false }, authToken: 'tls-token' });
    const channel = memoryChannel.create({ capacity: 100, transactionCapacity: 100, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name: 'c', kind: 'CHANNEL' })) as MemoryChannel;
    await channel.start();
    const trusting = httpSink.create({ ...SINK_DEFAULTS, endpoint: source.url, ca: file('server.pem'), authToken: 'tls-token' }, { ...createComponentContext({ name: 'k', kind: 'SINK' }), channel }) as HttpSink;
    const untrusting = httpSink.create({ ...SINK_DEFAULTS, endpoint: source.url, authToken: 'tls-token' }, { ...createComponentContext({ name: 'k2', kind: 'SINK' }), channel }) as HttpSink;
    try {
      await trusting.start();
      await untrusting.start();
      const tx = channel.transaction();
      tx.put([createEvent('secure one'), createEvent('secure two')]);
      await tx.commit();
      let failure: unknown;
      await untrusting.process().catch((error: unknown) => (failure = error));
      expect(errorCode(failure)).to.equal('SLUICE_DELIVERY_FAILED');
      expect(channel.size).to.equal(2);
      expect(await trusting.process()).to.equal('ready');
      expect(channel.size).to.equal(0);
      expect((await takeAll(source.harness)).map((e) => e.body.toString())).to.deep.equal(['secure one', 'secure two']);
    } finally {
      await trusting.stop();
      await untrusting.stop();
      await channel.stop();
      await source.close();
    }
  });
});

describe('agents chained over HTTP (http sink -> http source)', function () {
  this.timeout(30000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-http-chain-'));
  const agents: RunningAgent[] = [];
  const destinations: Destination[] = [];
  after(async () => {
    for (const agent of agents.reverse()) await agent.stop(2000).catch(() => undefined);
    for (const d of destinations) await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const linesIn = (sub: string): string[] => readdirSync(path.join(dir, sub)).flatMap((f) => readFileSync(path.join(dir, sub, f), 'utf8').split('\n').filter(Boolean));

  it('moves every event from one agent to the next, in both wire formats, plain and gzip-compressed', async () => {
    const collector = await runAgent(`
agents:
  collector:
    sources:
      in: { type: http, bind: 127.0.0.1, port: 0, authToken: chain-token, channels: [mem] }
      in2: { type: http, bind: 127.0.0.1, port: 0, handler: ndjson, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 10000 }
    sinks:
      out: { type: file_roll, channel: mem, directory: ${JSON.stringify(path.join(dir, 'collected'))}, rollInterval: '0' }
`);
    agents.push(collector);
    const port = (collector.agent.sources.get('in')!.source as HttpSource).port;
    const port2 = (collector.agent.sources.get('in2')!.source as HttpSource).port;
    const edge = await runAgent(`
agents:
  edge:
    sources:
      gen: { type: seq, count: 1000, batchSize: 100, channels: [mem] }
      gen2: { type: seq, start: 1000, count: 500, batchSize: 50, channels: [mem2] }
    channels:
      mem: { type: memory, capacity: 10000 }
      mem2: { type: memory, capacity: 10000 }
    sinks:
      fwd: { type: http, channel: mem, endpoint: "http://127.0.0.1:${port}/", authToken: chain-token, batchSize: 100 }
      fwd2: { type: http, channel: mem2, endpoint: "http://127.0.0.1:${port2}/", format: ndjson, compression: gzip, batchSize: 30 }
`);
    agents.push(edge);
    await eventually(() => collector.metrics('out').get('EventDrainSuccessCount') >= 1500, '1500 events written by the collector', 20000);
    await collector.stop(2000);
    const got = linesIn('collected').map(Number).sort((a, b) => a - b);
    expect(got).to.deep.equal(Array.from({ length: 1500 }, (_, i) => i));
    expect(edge.metrics('fwd').get('EventDrainSuccessCount')).to.equal(1000);
  });

  it('moves batches the destination rejects with 4xx to the dead-letter channel', async () => {
    const destination = new Destination();
    destinations.push(destination);
    destination.status = 422;
    const url = await destination.start();
    const edge = await runAgent(`
agents:
  edge:
    sources:
      gen: { type: seq, count: 20, batchSize: 10, channels: [mem] }
    channels:
      mem: { type: memory }
      rejected: { type: memory }
    sinks:
      fwd: { type: http, channel: mem, endpoint: "${url}", batchSize: 10, deadLetter: { channel: rejected, after: 1 } }
      dead: { type: file_roll, channel: rejected, directory: ${JSON.stringify(path.join(dir, 'dead'))}, rollInterval: '0' }
`);
    agents.push(edge);
    await eventually(() => edge.metrics('dead').get('EventDrainSuccessCount') >= 20, '20 rejected events in the dead-letter channel', 20000);
    expect(edge.metrics('fwd').get('EventDeadLetterCount')).to.equal(20);
    expect(destination.requests.length).to.be.at.least(2);
  });
});
