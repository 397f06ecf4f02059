import path from 'node:path';
import { expect } from 'chai';
import { parseTopology, validateTopology, type AgentModel } from '@sluice/config';
import { builtinPlugin } from '@sluice/core';
import { ComponentCatalog, groupFromSnapshot, modelForWorker, planWorkers, snapshotGroup, sumMetrics, workerExecArgv, type MetricSnapshot } from '../src/index.js';
import { MetricGroup } from '@sluice/core';

const catalog = new ComponentCatalog();
catalog.register(builtinPlugin);

function model(): AgentModel {
  const { model, problems } = validateTopology(parseTopology(`
agents:
  a:
    workers: 3
    dataDir: /var/lib/sluice/a
    sources:
      net: { type: netcat, port: 0, channels: [mem, own] }
      gen: { type: seq, count: 1, channels: [mem] }
      input: { type: stdin, channels: [own] }
    channels:
      mem: { type: memory }
      own: { type: memory }
    sinks:
      k1: { type: logger, channel: mem }
      k2: { type: logger, channel: own }
`), catalog);
  expect(problems).to.deep.equal([]);
  return model!.agents.a!;
}

describe('workers: plan and per-worker model', () => {
  it('network sources run in every worker; seq and stdin only in worker 0', () => {
    expect(planWorkers(model(), catalog)).to.deep.equal({ count: 3, everyWorker: ['net'], workerZeroOnly: ['gen', 'input'] });
  });

  it('a source type the catalog does not know counts as not shardable', () => {
    const empty = new ComponentCatalog();
    expect(planWorkers(model(), empty).everyWorker).to.deep.equal([]);
  });

  it('worker 0 runs the model unchanged (state where a single-process agent keeps it)', () => {
    const m = model();
    expect(modelForWorker(m, catalog, 0)).to.equal(m);
  });

  it('worker i >= 1 keeps state under worker-<i> and runs only the shardable sources, with every channel and sink', () => {
    const m = model();
    const w2 = modelForWorker(m, catalog, 2);
    expect(w2.dataDir).to.equal(path.join('/var/lib/sluice/a', 'worker-2'));
    expect(Object.keys(w2.sources)).to.deep.equal(['net']);
    expect(Object.keys(w2.channels)).to.deep.equal(['mem', 'own']);
    expect(Object.keys(w2.sinks)).to.deep.equal(['k1', 'k2']);
    expect(m.dataDir, 'the original model is untouched').to.equal('/var/lib/sluice/a');
  });

  it('a channel with its own dataDir gets a worker-<i> subdirectory of it', () => {
    const m = model();
    const withDir: AgentModel = { ...m, channels: { ...m.channels, own: { ...m.channels.own!, config: { dataDir: '/data/own', capacity: 10 } } } };
    const w1 = modelForWorker(withDir, catalog, 1);
    expect(w1.channels.own!.config).to.deep.equal({ dataDir: path.join('/data/own', 'worker-1'), capacity: 10 });
    expect(w1.channels.mem).to.equal(m.channels.mem);
    expect(modelForWorker(withDir, catalog, 0).channels.own!.config.dataDir).to.equal('/data/own');
  });
});

describe('workers: summing metrics over workers', () => {
  const snap = (fill: (g: MetricGroup) => void, kind: 'SOURCE' | 'CHANNEL' = 'CHANNEL', name = 'c'): MetricSnapshot => {
    const g = new MetricGroup(kind, name, 'file');
    fill(g);
    return snapshotGroup(g);
  };

  it('sums counters and counting gauges, recomputes the fill, keeps the earliest start', () => {
    const w0 = snap((g) => { g.inc('EventPutSuccessCount', 10); g.gauge('ChannelSize', () => 5); g.gauge('ChannelCapacity', () => 100); g.gauge('ChannelFillPercentage', () => 5); g.startTime = 2000; });
    const w1 = snap((g) => { g.inc('EventPutSuccessCount', 7); g.gauge('ChannelSize', () => 45); g.gauge('ChannelCapacity', () => 100); g.gauge('ChannelFillPercentage', () => 45); g.startTime = 1000; });
    const [sum] = sumMetrics([[w0], [w1]]);
    expect(sum!.counters.EventPutSuccessCount).to.equal(17);
    expect(sum!.gauges).to.include({ ChannelSize: 50, ChannelCapacity: 200, ChannelFillPercentage: 25, StartTime: 1000, StopTime: 0 });
  });

  it('a component only worker 0 runs appears once with its values; a snapshot round-trips through a MetricGroup', () => {
    const only = snap((g) => g.inc('EventReceivedCount', 3), 'SOURCE', 'gen');
    const both = [snap((g) => g.inc('EventPutSuccessCount', 1)), snap((g) => g.inc('EventPutSuccessCount', 2))];
    const sums = sumMetrics([[only, both[0]!], [both[1]!]]);
    expect(sums.map((s) => `${s.kind}.${s.name}`)).to.deep.equal(['SOURCE.gen', 'CHANNEL.c']);
    const group = groupFromSnapshot(sums[0]!);
    expect(group.snapshot().EventReceivedCount).to.equal(3);
    expect(Object.keys(group.counters)).to.include('EventReceivedCount');
  });
});

describe('workerExecArgv', () => {
  it('adds --single-threaded only when every core has a worker', () => {
    expect(workerExecArgv(2, 2, ['--enable-source-maps'], '')).to.deep.equal(['--enable-source-maps', '--single-threaded']);
    expect(workerExecArgv(16, 8, [], '')).to.deep.equal(['--single-threaded']);
    expect(workerExecArgv(2, 8, ['--enable-source-maps'], '')).to.deep.equal(['--enable-source-maps']);
  });

  it("keeps the operator's own choice of V8's helper threads, from execArgv or NODE_OPTIONS", () => {
    expect(workerExecArgv(2, 2, ['--no-single-threaded'], '')).to.deep.equal(['--no-single-threaded']);
    expect(workerExecArgv(2, 2, ['--single-threaded-gc'], '')).to.deep.equal(['--single-threaded-gc']);
    expect(workerExecArgv(2, 2, ['--parallel-scavenge'], '')).to.deep.equal(['--parallel-scavenge']);
    expect(workerExecArgv(2, 2, [], '--max-old-space-size=512 --no-concurrent-recompilation')).to.deep.equal([]);
    expect(workerExecArgv(2, 2, [], '--max-old-space-size=512 --single-threaded-gc-x')).to.deep.equal(['--single-threaded']);
    expect(workerExecArgv(2, 2, [], '--max-old-space-size=512')).to.deep.equal(['--single-threaded']);
  });
});
