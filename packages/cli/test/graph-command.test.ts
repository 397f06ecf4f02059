import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { main } from '../src/cli.js';
import { Capture } from './capture.js';
import { requirePeers } from '@sluice/testkit';

const TOPOLOGY = `
agents:
  a1:
    sources:
      web: { type: netcat, port: 0, channels: [gold, rest, audit], interceptors: [{ type: timestamp }, { type: host }],
             selector: { type: multiplexing, header: tier, mapping: { gold: [gold] }, optional: { gold: [audit] }, default: [rest] } }
    channels: { gold: { type: memory }, rest: { type: memory }, audit: { type: memory }, rejected: { type: memory } }
    sinks:
      k1: { type: file_roll, channel: gold, directory: /tmp/k1, deadLetter: { channel: rejected, after: 3 } }
      k2: { type: file_roll, channel: gold, directory: /tmp/k2 }
      k3: { type: logger, channel: rest }
      k4: { type: "null", channel: audit }
      k5: { type: "null", channel: rejected }
    sinkGroups:
      g1: { sinks: [k1, k2], processor: { type: failover, priority: { k1: 10 } } }
`;

describe('sluice graph', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-graph-'));
  const file = path.join(dir, 'topology.yaml');
  writeFileSync(file, TOPOLOGY);
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out = new Capture();
    const err = new Capture();
    const code = await main(['graph', '-f', file, ...args], out, err);
    return { code, out: out.text, err: err.text };
  }

  it('prints a Mermaid flowchart by default: sources with interceptors, routes, groups, dead letters', async () => {
    const { code, out } = await run('-n', 'a1');
    expect(code).to.equal(0);
    const lines = out.split('\n');
    expect(lines[0]).to.equal('flowchart LR');
    expect(lines).to.include('  source_web(["web: netcat<br/>[timestamp, host]"])');
    expect(lines).to.include('  source_web -- "tier=gold" --> channel_gold');
    expect(lines).to.include('  source_web -- "default" --> channel_rest');
    expect(lines).to.include('  source_web -. "tier=gold (optional)" .-> channel_audit');
    expect(lines).to.include('  subgraph group_g1["g1: failover"]');
    expect(lines).to.include('  channel_gold --> sink_k1');
    expect(lines).to.include('  sink_k1 -. "dead letters after 3" .-> channel_rejected');
  });

  it('prints Graphviz DOT with --format dot, which the real dot command renders', async function () {
    requirePeers(this, 'dot');
    const { code, out } = await run('--format', 'dot');
    expect(code).to.equal(0);
    expect(out).to.match(/^digraph "a1" \{/);
    expect(out).to.include('subgraph cluster_group_g1 {');
    const rendered = spawnSync('dot', ['-Tsvg'], { input: out, encoding: 'utf8' });
    expect(rendered.stderr).to.equal('');
    expect(rendered.status).to.equal(0);
    for (const node of ['web: netcat', 'gold: memory', 'k1: file_roll', 'g1: failover']) expect(rendered.stdout).to.include(node);
  });

  it('exits 2 on an unknown format and 1 on an invalid topology', async () => {
    expect((await run('--format', 'png')).code).to.equal(2);
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, TOPOLOGY.replace('type: logger', 'type: loger'));
    const err = new Capture();
    expect(await main(['graph', '-f', bad], new Capture(), err)).to.equal(1);
    expect(err.text).to.include('/agents/a1/sinks/k3/type');
  });

  it('draws a stage between its input channel and its result and dead-letter channels', () => {
    const stageFile = path.join(dir, 'stage.yaml');
    writeFileSync(stageFile, `
agents:
  a1:
    sources: { web: { type: netcat, port: 0, channels: [raw] } }
    channels: { raw: { type: memory }, results: { type: memory }, bad: { type: memory } }
    stages:
      stats: { type: sql, channel: raw, channels: [results], deadLetter: { channel: bad }, schema: { host: varchar }, window: { type: tumbling, size: 10s }, query: "SELECT host, COUNT(*) AS n FROM events GROUP BY host" }
    sinks: { out: { type: logger, channel: results }, drop: { type: "null", channel: bad } }
`);
    const result = spawnSync(process.execPath, [path.resolve('packages/cli/dist/src/bin.js'), 'graph', '-f', stageFile], { encoding: 'utf8' });
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.contain('stage_stats{{"stats: sql"}}');
    expect(result.stdout).to.contain('channel_raw --> stage_stats');
    expect(result.stdout).to.contain('stage_stats -- "results" --> channel_results');
    expect(result.stdout).to.contain('stage_stats -. "bad and late records" .-> channel_bad');
  });
});
