import net from 'node:net';
import { expect } from 'chai';
import { createEvent, type NetcatSource, type SluiceEvent } from '@sluice/core';
import { MonitoringServer, TapPoint, TapSubscription, type Agent, type TapOutput } from '../src/index.js';
import { Gate, modelOf, startAgent, until } from './helpers.js';

/** A TapOutput collecting lines; `backedUp` plays a reader that stopped reading. */
class Collected implements TapOutput {
  readonly lines: Record<string, unknown>[] = [];
  backedUp = false;
  ended = false;
  get writableNeedDrain(): boolean {
    return this.backedUp;
  }
  write(chunk: string): boolean {
    for (const line of chunk.split('\n').filter(Boolean)) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  events(): Record<string, unknown>[] {
    return this.lines.filter((l) => l.type === 'event');
  }
}

const batch = (n: number, prefix = 'e'): SluiceEvent[] => Array.from({ length: n }, (_, i) => createEvent(`${prefix}${i}`, { n: String(i) }));

describe('TapSubscription', () => {
  it('writes each event with its headers and UTF-8 body, and marks a body that is not UTF-8 as base64', () => {
    const out = new Collected();
    const point = new TapPoint('lines', 'source');
    const subscription = new TapSubscription(out, { rate: 100, limit: 0, maxBodyBytes: 1024 });
    subscription.attach(point);
    point.publish([createEvent('grüße', { host: 'web-1' }), createEvent(Buffer.from([0xff, 0x00, 0x01]))]);
    subscription.close();
    const [text, binary] = out.events();
    expect(text).to.include({ component: 'lines', point: 'source', body: 'grüße' });
    expect(text!.headers).to.deep.equal({ host: 'web-1' });
    expect(text).not.to.have.property('bodyEncoding');
    expect(binary).to.include({ body: '/wAB', bodyEncoding: 'base64' });
    expect(Buffer.from(binary!.body as string, 'base64')).to.deep.equal(Buffer.from([0xff, 0x00, 0x01]));
  });

  it('copies headers when offered, so an interceptor changing the event afterwards does not change the sample', () => {
    const out = new Collected();
    const point = new TapPoint('lines', 'source');
    const subscription = new TapSubscription(out, { rate: 100, limit: 0, maxBodyBytes: 1024 });
    subscription.attach(point);
    const event = createEvent('x', { a: '1' });
    point.publish([event]);
    event.headers.b = '2';
    subscription.close();
    expect(out.events()[0]!.headers).to.deep.equal({ a: '1' });
  });

  it('shows at most `rate` events per second and reports how many it skipped', () => {
    const out = new Collected();
    const point = new TapPoint('out', 'sink');
    const subscription = new TapSubscription(out, { rate: 5, limit: 0, maxBodyBytes: 1024 });
    subscription.attach(point);
    point.publish(batch(100));
    subscription.close();
    expect(out.events().map((e) => e.body)).to.deep.equal(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(out.lines.at(-1)).to.include({ type: 'skipped', count: 95, reason: 'rate limit' });
  });

  it('ends the output and detaches after `limit` events', () => {
    const out = new Collected();
    const point = new TapPoint('out', 'sink');
    const subscription = new TapSubscription(out, { rate: 100, limit: 3, maxBodyBytes: 1024 });
    subscription.attach(point);
    point.publish(batch(10));
    expect(out.events()).to.have.length(3);
    expect(out.ended).to.equal(true);
    expect(point.watched).to.equal(false);
    point.publish(batch(10));
    expect(out.events()).to.have.length(3);
  });

  it('skips events instead of buffering while the reader is behind', () => {
    const out = new Collected();
    const point = new TapPoint('out', 'sink');
    const subscription = new TapSubscription(out, { rate: 1000, limit: 0, maxBodyBytes: 1024 });
    subscription.attach(point);
    out.backedUp = true;
    point.publish(batch(7));
    out.backedUp = false;
    point.publish(batch(1, 'late'));
    subscription.close();
    expect(out.events().map((e) => e.body)).to.deep.equal(['late0']);
    expect(out.lines.at(-1)).to.include({ type: 'skipped', count: 7, reason: 'slow reader' });
  });

  it('cuts a body longer than maxBodyBytes and says how long it was', () => {
    const out = new Collected();
    const point = new TapPoint('out', 'sink');
    const subscription = new TapSubscription(out, { rate: 10, limit: 0, maxBodyBytes: 4 });
    subscription.attach(point);
    point.publish([createEvent('abcdefgh')]);
    subscription.close();
    expect(out.events()[0]).to.include({ body: 'abcd', truncated: true, bodyBytes: 8 });
  });
});

const TOPOLOGY = `
agents:
  a1:
    sources:
      lines:
        type: netcat
        port: 0
        channels: [mem]
        interceptors: [{ type: static, key: dc, value: eu-west-1 }, { type: regex_filter, regex: '^DEBUG', excludeEvents: true }]
    channels: { mem: { type: memory } }
    sinks: { out: { type: gate, channel: mem, batchSize: 10 } }
`;

/** Reads NDJSON lines from a /tap response until `count` event lines arrived. */
async function readEvents(response: Response, count: number): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(pending.slice(0, newline)) as Record<string, unknown>);
      pending = pending.slice(newline + 1);
    }
    if (lines.filter((l) => l.type === 'event').length >= count) break;
  }
  return lines;
}

function send(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let replies = '';
    socket.on('data', (chunk) => (replies += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(replies));
    socket.end(text);
  });
}

describe('GET /tap on the monitoring server', () => {
  let agent: Agent;
  const servers: MonitoringServer[] = [];
  const gate = new Gate();

  before(async () => {
    gate.open = true;
    agent = await startAgent(TOPOLOGY, gate);
  });

  after(async () => {
    for (const server of servers) await server.stop();
    await agent?.stop(0);
  });

  async function serve(tap: boolean): Promise<string> {
    const server = new MonitoringServer(agent, { port: 0, host: '127.0.0.1', tap });
    await server.start();
    servers.push(server);
    return `http://127.0.0.1:${server.port}`;
  }

  it('is off unless the topology enables it, and says how to enable it', async () => {
    const base = await serve(false);
    const response = await fetch(`${base}/tap?component=lines`);
    expect(response.status).to.equal(404);
    expect(await response.text()).to.contain('monitoring: { http: { tap: true } }');
  });

  it('answers 404 listing the tap points for an unknown component, 400 for a bad rate', async () => {
    const base = await serve(true);
    const unknown = await fetch(`${base}/tap?component=nope`);
    expect(unknown.status).to.equal(404);
    expect(await unknown.text()).to.equal("agent 'a1' has no source or sink named 'nope'; taps: lines (source), lines:interceptors, out (sink)\n");
    const bad = await fetch(`${base}/tap?component=lines&rate=fast`);
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.contain("rate: must be a whole number from 1 to 10000, got 'fast'");
  });

  it('streams what leaves the source, what leaves its interceptors and what enters the sink; untapped again after the reader leaves', async () => {
    const base = await serve(true);
    const controller = new AbortController();
    const response = await fetch(`${base}/tap?component=lines&component=lines:interceptors&component=out&rate=100`, { signal: controller.signal });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/x-ndjson');
    expect(agent.tapPoints().every((p) => p.watched)).to.equal(true);
    const port = (agent.sources.get('lines')!.source as NetcatSource).port;
    const reading = readEvents(response, 4);
    expect(await send(port, 'INFO up\nDEBUG noise\n')).to.equal('OK\nOK\n');
    const lines = await reading;
    expect(lines[0]).to.deep.include({ type: 'tap', agent: 'a1', rate: 100, limit: 0 });
    const events = lines.filter((l) => l.type === 'event').map((l) => `${l.point} ${l.component} ${String(l.body)} ${JSON.stringify(l.headers)}`);
    expect(events).to.have.members([
      'source lines INFO up {}',
      'source lines DEBUG noise {}',
      'interceptors lines INFO up {"dc":"eu-west-1"}',
      'sink out INFO up {"dc":"eu-west-1"}',
    ]);
    controller.abort();
    await until(() => agent.tapPoints().every((p) => !p.watched), 'the tap to detach after the reader left');
    expect(gate.written).to.deep.equal(['INFO up']);
  });
});

describe('tap points across a reload', () => {
  it('a tap stays attached when the interceptors are rewired and the sink restarts', async () => {
    const gate = new Gate();
    gate.open = true;
    const agent = await startAgent(TOPOLOGY, gate);
    try {
      const out = new Collected();
      const subscription = new TapSubscription(out, { rate: 100, limit: 0, maxBodyBytes: 1024 });
      subscription.attach(agent.tapPoint('interceptors', 'lines')!);
      subscription.attach(agent.tapPoint('sink', 'out')!);
      const changed = TOPOLOGY.replace('value: eu-west-1', 'value: us-east-1').replace('batchSize: 10', 'batchSize: 20');
      const result = await agent.reload((await modelOf(changed, gate)).model);
      expect(result.plan.rewireSources).to.deep.equal(['lines']);
      expect(result.plan.startSinkUnits).to.deep.equal(['out']);
      const port = (agent.sources.get('lines')!.source as NetcatSource).port;
      expect(await send(port, 'INFO after reload\n')).to.equal('OK\n');
      await until(() => out.events().length === 2, 'both taps to see the event');
      subscription.close();
      expect(out.events().map((e) => `${e.point} ${(e.headers as Record<string, string>).dc}`)).to.deep.equal(['interceptors us-east-1', 'sink us-east-1']);
    } finally {
      await agent.stop(0);
    }
  });
});
