import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AgentProcess, SLUICE_BIN, TempDir } from './helpers/agent-process.js';

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/analytics/topology.yaml');

interface Stat { host: string; requests: number; error_rate: number; p95_bytes: number | null }

/** A combined-log line; every 4th request of a host fails with 503, and some sizes are '-'. */
function accessLine(i: number): { line: string; host: string; status: number; bytes: number | null } {
  const host = `10.1.0.${i % 3}`;
  const status = i % 4 === 3 ? 503 : 200;
  const bytes = i % 10 === 9 ? null : 200 + ((i * 37) % 5000);
  return { host, status, bytes, line: `${host} - - [10/Oct/2000:13:55:36 -0700] "GET /item/${i} HTTP/1.1" ${status} ${bytes ?? '-'} "-" "curl/8.0"` };
}

/** The p95 of DuckDB's quantile_cont: linear interpolation between the closest ranks. */
function p95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = 0.95 * (sorted.length - 1);
  const lo = Math.floor(rank);
  return sorted[lo]! + (sorted[Math.ceil(rank)]! - sorted[lo]!) * (rank - lo);
}

describe('examples/analytics @slow', function () {
  this.timeout(90_000);
  const dir = new TempDir();
  const agents: AgentProcess[] = [];
  let server: http.Server | undefined;
  after(async () => {
    for (const agent of agents) await agent.kill();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    dir.cleanup();
  });

  it('validates', () => {
    const result = spawnSync(process.execPath, [SLUICE_BIN, 'validate', '-f', EXAMPLE], { encoding: 'utf8', cwd: dir.path });
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.contain("agent 'web': 1 sources, 4 channels, 3 sinks, 1 stages");
  });

  it('tails an access log and POSTs per-host requests, error rate and p95 bytes per window; raw events are archived', async () => {
    const posted: { headers: Record<string, string>; body: string }[] = [];
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
      req.on('end', () => {
        for (const line of text.split('\n').filter(Boolean)) posted.push(JSON.parse(line) as { headers: Record<string, string>; body: string });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const logs = path.join(dir.path, 'logs');
    mkdirSync(logs);
    const env = { LOG_DIR: logs, OUT_DIR: path.join(dir.path, 'out'), WINDOW: '2s', DASHBOARD_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats` };
    const agent = AgentProcess.start(EXAMPLE, 'web', { cwd: dir.path, env });
    agents.push(agent);
    await agent.started(60_000);
    const records = Array.from({ length: 120 }, (_, i) => accessLine(i));
    appendFileSync(path.join(logs, 'access.log'), `${records.map((r) => r.line).join('\n')}\nthis line is not an access log line\n`);
    const counted = (): number => posted.reduce((sum, p) => sum + (JSON.parse(p.body) as Stat).requests, 0);
    const deadline = Date.now() + 60_000;
    while (counted() < records.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(counted(), 'requests counted across windows').to.equal(records.length);
    const archived = (): string[] => {
      const raw = path.join(dir.path, 'out', 'raw');
      return existsSync(raw) ? readdirSync(raw).flatMap((f) => readFileSync(path.join(raw, f), 'utf8').split('\n').filter(Boolean)) : [];
    };
    while (archived().length < records.length + 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await agent.stop()).code).to.equal(0);
    expect(archived().slice(0, 2).map((l) => (JSON.parse(l) as { host: string }).host)).to.deep.equal(['10.1.0.0', '10.1.0.1']);
    expect(archived()).to.have.length(records.length + 1);

    // The lines arrive within milliseconds, so they almost always share one window; then each host's
    // numbers must equal the statistics computed here over its lines. (If the lines straddled a
    // window boundary, only the request totals above can be checked.)
    const windows = new Set(posted.map((p) => p.headers.windowId));
    if (windows.size === 1) {
      const stats = posted.map((p) => JSON.parse(p.body) as Stat);
      expect(stats.map((s) => s.host)).to.have.members(['10.1.0.0', '10.1.0.1', '10.1.0.2']);
      for (const stat of stats) {
        const mine = records.filter((r) => r.host === stat.host);
        expect(stat.requests).to.equal(mine.length);
        expect(stat.error_rate).to.equal(Math.round((mine.filter((r) => r.status >= 500).length / mine.length) * 10000) / 10000);
        expect(stat.p95_bytes).to.be.closeTo(p95(mine.flatMap((r) => (r.bytes === null ? [] : [r.bytes])))!, 1e-9);
      }
    }
    for (const p of posted) expect(p.headers.windowId).to.equal(`per-host:${p.headers.windowStart}:${p.headers.windowEnd}`);
    const rejected = path.join(dir.path, 'out', 'rejected');
    expect(readdirSync(rejected).flatMap((f) => readFileSync(path.join(rejected, f), 'utf8').split('\n').filter(Boolean))).to.deep.equal([
      '{sluiceStageError=the body is not JSON} this line is not an access log line',
    ]);
  });
});
