import http from 'node:http';
import { expect } from 'chai';
import parsePrometheus from 'parse-prometheus-text-format';
import { monitoringRequestHeaders, MonitoringServer, type Agent } from '../src/index.js';
import { Gate, startAgent, until } from './helpers.js';

const TOPOLOGY = `
agents:
  a1:
    sources: { gen: { type: seq, count: 500, batchSize: 100, channels: [mem] } }
    channels: { mem: { type: memory, capacity: 1000 } }
    sinks: { out: { type: gate, channel: mem, batchSize: 100 } }
`;

describe('monitoring server', () => {
  let agent: Agent;
  let server: MonitoringServer;
  let base: string;
  const gate = new Gate();

  before(async () => {
    gate.open = true;
    agent = await startAgent(TOPOLOGY, gate);
    server = new MonitoringServer(agent, { port: 0, host: '127.0.0.1' });
    await server.start();
    base = `http://127.0.0.1:${server.port}`;
  });

  after(async () => {
    await server?.stop();
    await agent?.stop(0);
  });

  it('GET /metrics answers Flume\'s JSON shape: TYPE.name keys, string values, Flume counter names', async () => {
    await until(() => gate.written.length === 500, 'the sink to drain the channel');
    const response = await fetch(`${base}/metrics`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/json');
    const body = (await response.json()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(body).sort()).to.deep.equal(['CHANNEL.mem', 'SINK.out', 'SOURCE.gen']);
    for (const group of Object.values(body)) for (const value of Object.values(group)) expect(value).to.be.a('string');
    expect(body['SOURCE.gen']).to.include({ Type: 'SOURCE', EventReceivedCount: '500', EventAcceptedCount: '500', AppendBatchAcceptedCount: '5' });
    expect(body['CHANNEL.mem']).to.include({ Type: 'CHANNEL', ChannelSize: '0', ChannelCapacity: '1000', ChannelFillPercentage: '0.0', EventPutSuccessCount: '500', EventTakeSuccessCount: '500', ChannelBlockedMillis: '0' });
    expect(body['SINK.out']).to.include({ Type: 'SINK', EventDrainSuccessCount: '500', EventDeadLetterCount: '0' });
    expect(body['SINK.out']!.StartTime).to.match(/^[1-9]\d+$/);
    expect(body['SINK.out']!.StopTime).to.equal('0');
    // Every attribute Flume's HTTPMetricsServer reports per group (CounterMBeans) is there.
    expect(body['CHANNEL.mem']).to.include.all.keys('ChannelCapacity', 'ChannelFillPercentage', 'ChannelSize', 'Type', 'EventPutAttemptCount', 'EventPutSuccessCount', 'EventTakeAttemptCount', 'EventTakeSuccessCount', 'StartTime', 'StopTime');
    expect(body['SOURCE.gen']).to.include.all.keys('EventReceivedCount', 'EventAcceptedCount', 'AppendReceivedCount', 'AppendAcceptedCount', 'AppendBatchReceivedCount', 'AppendBatchAcceptedCount', 'OpenConnectionCount', 'EventReadFail', 'ChannelWriteFail', 'GenericProcessingFail', 'StartTime', 'StopTime', 'Type');
    expect(body['SINK.out']).to.include.all.keys('ConnectionCreatedCount', 'ConnectionClosedCount', 'ConnectionFailedCount', 'BatchEmptyCount', 'BatchUnderflowCount', 'BatchCompleteCount', 'EventDrainAttemptCount', 'EventDrainSuccessCount', 'EventWriteFail', 'ChannelReadFail', 'StartTime', 'StopTime', 'Type');
  });

  it('GET /metrics/prometheus parses with a Prometheus text parser, sluice_<counter> with agent/component/kind labels', async () => {
    const response = await fetch(`${base}/metrics/prometheus`);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await response.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    const received = byName.get('sluice_event_received_count')!;
    expect(received.type).to.equal('COUNTER');
    expect(received.metrics).to.deep.equal([{ value: '500', labels: { agent: 'a1', component: 'gen', kind: 'source' } }]);
    const fill = byName.get('sluice_channel_fill_percentage')!;
    expect(fill.type).to.equal('GAUGE');
    expect(fill.metrics[0]!.labels).to.deep.equal({ agent: 'a1', component: 'mem', kind: 'channel' });
    expect(byName.get('sluice_event_drain_success_count')!.metrics[0]).to.deep.equal({ value: '500', labels: { agent: 'a1', component: 'out', kind: 'sink' } });
    expect(byName.get('sluice_open_connection_count')!.type).to.equal('GAUGE');
    expect(byName.get('sluice_start_time')!.type).to.equal('GAUGE');
    for (const family of families) expect(family.name).to.match(/^sluice_[a-z_]+$/);
  });

  it('GET /health is 200 while every component runs', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.include({ status: 'ok', agent: 'a1', state: 'running' });
  });

  it('answers 404 for unknown paths and 403 for TRACE', async () => {
    expect((await fetch(`${base}/nope`)).status).to.equal(404);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http.request(`${base}/metrics`, { method: 'TRACE' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject).end();
    });
    expect(status).to.equal(403);
  });

  it('GET /health is 503 with the reason once the agent stopped', async () => {
    await agent.stop(0);
    const response = await fetch(`${base}/health`);
    expect(response.status).to.equal(503);
    expect(await response.json()).to.deep.include({ status: 'failing', state: 'stopped', reason: 'agent is stopped' });
  });
});

describe('monitoring server under backpressure', () => {
  let agent: Agent | undefined;
  let server: MonitoringServer | undefined;
  after(async () => {
    await server?.stop();
    await agent?.stop(0);
  });

  it('shows a full channel: fill 100.0, ChannelBlockedMillis growing, the source\'s ChannelWriteFail', async () => {
    const gate = new Gate();
    agent = await startAgent(`
agents:
  a1:
    sources: { gen: { type: seq, count: 1000, batchSize: 100, channels: [mem] } }
    channels: { mem: { type: memory, capacity: 100, keepAlive: 50ms } }
    sinks: { out: { type: gate, channel: mem, batchSize: 100 } }
`, gate);
    server = new MonitoringServer(agent, { port: 0, host: '127.0.0.1' });
    await server.start();
    const metrics = async (): Promise<Record<string, Record<string, string>>> => (await fetch(`http://127.0.0.1:${server!.port}/metrics`)).json() as Promise<Record<string, Record<string, string>>>;
    let body = await metrics();
    for (let i = 0; i < 100 && Number(body['SOURCE.gen']!.ChannelWriteFail) < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      body = await metrics();
    }
    expect(body['CHANNEL.mem']).to.include({ ChannelFillPercentage: '100.0', ChannelSize: '100' });
    expect(Number(body['CHANNEL.mem']!.ChannelBlockedMillis)).to.be.at.least(40);
    expect(Number(body['SOURCE.gen']!.ChannelWriteFail)).to.be.at.least(1);
  });
});

describe('monitoring server with a token', () => {
  let agent: Agent;
  let server: MonitoringServer;
  let base: string;
  const gate = new Gate();

  before(async () => {
    gate.open = true;
    agent = await startAgent(TOPOLOGY, gate);
    server = new MonitoringServer(agent, { port: 0, host: '127.0.0.1', tap: true, token: 's3cret-token' });
    await server.start();
    base = `http://127.0.0.1:${server.port}`;
  });

  after(async () => {
    await server?.stop();
    await agent?.stop(0);
  });

  it('answers 401 without the bearer token on every route but /health, and serves it with the token', async () => {
    for (const route of ['/metrics', '/metrics/prometheus', '/tap?component=gen', '/']) {
      const refused = await fetch(`${base}${route}`);
      expect(refused.status, route).to.equal(401);
      expect(refused.headers.get('www-authenticate')).to.match(/^Bearer/);
      const wrong = await fetch(`${base}${route}`, { headers: { authorization: 'Bearer s3cret-tokeN' } });
      expect(wrong.status, `${route} with a wrong token`).to.equal(401);
      await wrong.body?.cancel();
      await refused.body?.cancel();
    }
    expect((await fetch(`${base}/health`)).status).to.equal(200);
    const allowed = await fetch(`${base}/metrics`, { headers: monitoringRequestHeaders({ SLUICE_MONITORING_TOKEN: 's3cret-token' }) });
    expect(allowed.status).to.equal(200);
    expect(await allowed.json()).to.have.property('SOURCE.gen');
  });
});
