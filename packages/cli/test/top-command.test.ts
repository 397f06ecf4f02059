import { expect } from 'chai';
import { parseTopology } from '@sluice/config';
import { Agent, loadTopology, MonitoringServer } from '@sluice/agent';
import { topCommand } from '../src/commands/top-command.js';
import { renderTop } from '../src/commands/render-top.js';
import { Capture } from './capture.js';

describe('sluice top', () => {
  let agent: Agent | undefined;
  let server: MonitoringServer | undefined;
  after(async () => {
    await server?.stop();
    await agent?.stop(0);
  });

  it('shows per-component rates that move, read from a running agent\'s monitoring port', async () => {
    const raw = parseTopology(`
agents:
  a1:
    sources: { gen: { type: seq, batchSize: 100, channels: [mem] } }
    channels: { mem: { type: memory, capacity: 10000 } }
    sinks: { out: { type: "null", channel: mem, batchSize: 100 } }
`);
    const { model, catalog } = await loadTopology(raw, { agent: 'a1' });
    agent = new Agent(model.agents.a1!, catalog);
    await agent.start();
    server = new MonitoringServer(agent, { port: 0, host: '127.0.0.1' });
    await server.start();
    const out = new Capture();
    const code = await topCommand({ target: String(server.port), file: undefined, out, err: new Capture(), intervalMs: 300, iterations: 3 });
    expect(code).to.equal(0);
    const screens = out.text.split(/^sluice top /m).filter(Boolean);
    expect(screens).to.have.length(3);
    const row = (screen: string, name: string): string[] => screen.split('\n').find((l) => l.startsWith(`${name} `))!.trim().split(/\s+/);
    expect(row(screens[0]!, 'gen')[1]).to.equal('-');
    const received = screens.map((s) => Number(row(s, 'gen')[3]));
    expect(received[1]).to.be.greaterThan(received[0]!);
    expect(received[2]).to.be.greaterThan(received[1]!);
    expect(Number(row(screens[2]!, 'gen')[1])).to.be.greaterThan(0);
    expect(Number(row(screens[2]!, 'out')[1])).to.be.greaterThan(0);
    expect(row(screens[2]!, 'mem')[4]).to.equal('10000');
  });

  it('computes events/s from two scrapes', () => {
    const before = { 'SOURCE.r1': { EventReceivedCount: '100', EventAcceptedCount: '100' }, 'SINK.k1': { EventDrainSuccessCount: '50', EventWriteFail: '2' } };
    const after = { 'SOURCE.r1': { EventReceivedCount: '600', EventAcceptedCount: '400' }, 'SINK.k1': { EventDrainSuccessCount: '250', EventWriteFail: '3' } };
    const screen = renderTop(before, after, 2000, 'title');
    expect(screen.split('\n').find((l) => l.startsWith('r1 '))!.trim().split(/\s+/).slice(0, 3)).to.deep.equal(['r1', '250.0', '150.0']);
    expect(screen.split('\n').find((l) => l.startsWith('k1 '))!.trim().split(/\s+/).slice(0, 4)).to.deep.equal(['k1', '100.0', '250', '3']);
  });

  it('shows a STAGE section: events/s taken, results/s, windows, bad and late counts', () => {
    const before = { 'STAGE.stats': { EventTakeSuccessCount: '1000', ResultEmittedCount: '10' } };
    const after = { 'STAGE.stats': { EventTakeSuccessCount: '3000', ResultEmittedCount: '30', WindowEmittedCount: '4', EventBadCount: '7', EventLateCount: '2', EmitFailCount: '0' } };
    const screen = renderTop(before, after, 1000, 'title');
    expect(screen).to.match(/^STAGE\s+in\/s\s+results\/s\s+taken\s+windows\s+bad\s+late\s+emit fails$/m);
    expect(screen.split('\n').find((l) => l.startsWith('stats '))!.trim().split(/\s+/)).to.deep.equal(['stats', '2000.0', '20.0', '3000', '4', '7', '2', '0']);
  });

  it('shows each worker of a multi-worker agent: pid, state, restarts and its own rates', () => {
    const worker = (index: number, received: number, drained: number, state = 'running', healthy = true) => ({
      index, pid: 100 + index, state, restarts: index, healthy,
      metrics: { 'SOURCE.a': { EventReceivedCount: String(received) }, 'SOURCE.b': { EventReceivedCount: String(received) }, 'SINK.k': { EventDrainSuccessCount: String(drained) } },
    });
    const previous = { workers: [worker(0, 100, 50), worker(1, 0, 0)] };
    const current = { workers: [worker(0, 300, 250), worker(1, 50, 10, 'running', false)] };
    const screen = renderTop(undefined, {}, 1000, 'title', { previous, current });
    const row = (index: string): string[] => screen.split('\n').find((l) => l.startsWith(`${index} `))!.trim().split(/\s+/);
    expect(screen).to.match(/^WORKER\s+pid\s+state\s+restarts\s+in\/s\s+out\/s$/m);
    expect(row('0')).to.deep.equal(['0', '100', 'running', '0', '400.0', '200.0']);
    expect(row('1')).to.deep.equal(['1', '101', 'unhealthy', '1', '100.0', '10.0']);
    const first = renderTop(undefined, {}, 0, 'title', { current });
    expect(first.split('\n').find((l) => l.startsWith('0 '))!.trim().split(/\s+/).slice(4)).to.deep.equal(['-', '-']);
  });

  it('exits 1 when the agent cannot be reached', async () => {
    const err = new Capture();
    expect(await topCommand({ target: '127.0.0.1:1', file: undefined, out: new Capture(), err, iterations: 1 })).to.equal(1);
    expect(err.text).to.include('cannot read http://127.0.0.1:1/metrics');
  });
});
