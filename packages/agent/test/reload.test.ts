import net from 'node:net';
import { expect } from 'chai';
import { planReload, type Agent } from '../src/index.js';
import { Gate, modelOf, startAgent, until } from './helpers.js';

const base = (sinkBatch: number, extra = ''): string => `
agents:
  a1:
    sources:
      gen: { type: seq, count: 300, batchSize: 50, channels: [mem] }
      lines: { type: netcat, port: 0, channels: [mem] }
    channels: { mem: { type: memory, capacity: 1000 }, other: { type: memory } }
    sinks:
      out: { type: gate, channel: mem, batchSize: ${sinkBatch} }
      k2: { type: gate, channel: other }
      k3: { type: gate, channel: other }
    sinkGroups: { g1: { sinks: [k2, k3], processor: { type: failover } } }
${extra}`;

describe('reload plan', () => {
  const gate = new Gate();
  const plan = async (before: string, after: string) => planReload((await modelOf(before, gate)).model, (await modelOf(after, gate)).model);

  it('restarts only a sink whose batchSize changed', async () => {
    expect(await plan(base(10), base(20))).to.deep.equal({ stopChannels: [], startChannels: [], stopSinkUnits: ['out'], startSinkUnits: ['out'], stopSources: [], startSources: [], stopStages: [], startStages: [], rewireSources: [] });
  });

  it('restarts nothing when only key order or formatting changed', async () => {
    const reordered = base(10).replace('{ type: seq, count: 300, batchSize: 50, channels: [mem] }', '{ channels: [mem], batchSize: 50, count: 300, type: seq }');
    const p = await plan(base(10), reordered);
    expect(Object.values(p).flat()).to.deep.equal([]);
  });

  it('restarts a changed channel with every source and sink unit that uses it', async () => {
    const p = await plan(base(10), base(10).replace('mem: { type: memory, capacity: 1000 }', 'mem: { type: memory, capacity: 2000 }'));
    expect(p).to.deep.equal({ stopChannels: ['mem'], startChannels: ['mem'], stopSinkUnits: ['out'], startSinkUnits: ['out'], stopSources: ['gen', 'lines'], startSources: ['gen', 'lines'], stopStages: [], startStages: [], rewireSources: [] });
  });

  it('rewires a source whose interceptors changed without restarting it, and restarts a group whose processor changed alone', async () => {
    const after = base(10).replace('channels: [mem] }\n      lines', 'channels: [mem], interceptors: [{ type: host }] }\n      lines').replace('processor: { type: failover }', 'processor: { type: load_balance }');
    expect(await plan(base(10), after)).to.deep.equal({ stopChannels: [], startChannels: [], stopSinkUnits: ['g1'], startSinkUnits: ['g1'], stopSources: [], startSources: [], stopStages: [], startStages: [], rewireSources: ['gen'] });
  });

  it('restarts a source whose own config changed', async () => {
    const p = await plan(base(10), base(10).replace('type: seq, count: 300', 'type: seq, count: 400'));
    expect([p.stopSources, p.startSources, p.rewireSources]).to.deep.equal([['gen'], ['gen'], []]);
  });

  it('stops removed components and starts added ones', async () => {
    const after = base(10).replace('      lines: { type: netcat, port: 0, channels: [mem] }\n', '').replace('sinks:\n', 'sinks:\n      log: { type: logger, channel: mem }\n');
    expect(await plan(base(10), after)).to.deep.equal({ stopChannels: [], startChannels: [], stopSinkUnits: [], startSinkUnits: ['log'], stopSources: ['lines'], startSources: [], stopStages: [], startStages: [], rewireSources: [] });
  });
});

describe('Agent.reload', () => {
  let agent: Agent | undefined;
  afterEach(async () => {
    await agent?.stop(0);
    agent = undefined;
  });

  it('restarts only the changed sink: the channel keeps its events and the source keeps its socket', async () => {
    const gate = new Gate();
    agent = await startAgent(base(10), gate);
    await until(() => (agent!.channels.get('mem') as unknown as { size: number }).size === 300, 'the seq source to fill the channel');
    const channel = agent.channels.get('mem') as unknown as { size: number };
    const source = agent.sources.get('lines')!.source;
    const oldSink = agent.sinks.get('out')!.sink;
    const { model } = await modelOf(base(25), gate);
    const result = await agent.reload(model);
    expect(result.failed).to.deep.equal([]);
    expect(agent.channels.get('mem')).to.equal(channel);
    expect(channel.size).to.equal(300);
    expect(agent.sources.get('lines')!.source).to.equal(source);
    expect(agent.sinks.get('out')!.sink).to.not.equal(oldSink);
    gate.open = true;
    await until(() => gate.written.length >= 300, 'the new sink to drain the channel');
    expect(gate.written.map(Number)).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
    const sinkMetrics = agent.metrics.find((m) => m.kind === 'SINK' && m.name === 'out')!;
    expect(sinkMetrics.get('EventDrainSuccessCount')).to.equal(300);
    // Every take of the new sink, failed ones included, was a full batch of the new size.
    expect(sinkMetrics.get('EventDrainAttemptCount') % 25).to.equal(0);
    expect(sinkMetrics.get('BatchUnderflowCount')).to.equal(0);
    expect(agent.model.sinks.out!.config.batchSize).to.equal(25);
  });

  it('rewires a running source with new interceptors: same source object and socket, next batches intercepted', async () => {
    const gate = new Gate();
    gate.open = true;
    const yaml = (interceptors: string): string => `
agents:
  a1:
    sources: { lines: { type: netcat, port: 0, channels: [mem]${interceptors} } }
    channels: { mem: { type: memory } }
    sinks: { out: { type: gate, channel: mem, batchSize: 1 } }
`;
    agent = await startAgent(yaml(''), gate);
    const source = agent.sources.get('lines')!.source;
    const port = (source as unknown as { port: number }).port;
    const send = (text: string): Promise<string> => new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(`${text}\n`));
      let reply = '';
      socket.on('data', (d) => (reply += d.toString()));
      socket.on('end', () => resolve(reply.trim()));
      socket.on('error', reject);
    });
    expect(await send('before')).to.equal('OK');
    const result = await agent.reload((await modelOf(yaml(', interceptors: [{ type: search_replace, searchPattern: secret, replaceString: "***" }]'), gate)).model);
    expect(result.plan.rewireSources).to.deep.equal(['lines']);
    expect(result.plan.stopSources).to.deep.equal([]);
    expect(agent.sources.get('lines')!.source).to.equal(source);
    expect(await send('my secret')).to.equal('OK');
    await until(() => gate.written.length === 2, 'both lines to reach the sink');
    expect(gate.written).to.deep.equal(['before', 'my ***']);
  });

  it('a changed channel restarts with its source and sink: the sink drains the old channel first', async () => {
    const gate = new Gate();
    gate.open = true;
    agent = await startAgent(base(10), gate);
    await until(() => gate.written.length === 300, 'the first run of the seq source to be drained');
    const old = agent.channels.get('mem');
    const result = await agent.reload((await modelOf(base(10).replace('capacity: 1000', 'capacity: 2000'), gate)).model);
    expect(result.failed).to.deep.equal([]);
    expect(result.plan.startChannels).to.deep.equal(['mem']);
    expect(agent.channels.get('mem')).to.not.equal(old);
    expect((agent.channels.get('mem') as unknown as { capacity: number }).capacity).to.equal(2000);
    await until(() => gate.written.length === 600, 'the restarted seq source to flow through the new channel');
    expect(agent.healthy).to.equal(true);
  });

  it('reports a component that fails to start on reload at status/healthy, and recovers on the next reload', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      const gate = new Gate();
      agent = await startAgent(base(10), gate);
      const bad = await modelOf(base(10).replace('type: netcat, port: 0', `type: netcat, bind: 127.0.0.1, port: ${busy}`), gate);
      const result = await agent.reload(bad.model);
      expect(result.failed.map((f) => f.name)).to.deep.equal(['lines']);
      expect(agent.healthy).to.equal(false);
      expect(agent.status.components).to.have.property('lines');
      const good = await modelOf(base(10), gate);
      await agent.reload(good.model);
      expect(agent.healthy).to.equal(true);
      expect(agent.status).to.deep.equal({ state: 'running' });
    } finally {
      blocker.close();
    }
  });
});
