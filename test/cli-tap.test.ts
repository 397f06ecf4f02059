import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { freePort } from './helpers/free-port.js';
import { nc } from './helpers/nc-rounds.js';
import { TapProcess } from './helpers/tap-process.js';

const ROUTER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/routing/router.yaml');

/** Sends raw bytes with the real netcat (for a body that is not UTF-8). */
function ncBytes(port: number, bytes: Buffer): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('nc', ['-N', '127.0.0.1', String(port)], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('exit', resolve);
    child.stdin.end(bytes);
  });
}

describe('sluice tap against a running sluice agent (examples/routing, netcat)', function () {
  this.timeout(60000);
  const dir = new TempDir();
  const taps: TapProcess[] = [];
  let router: AgentProcess;
  let env: NodeJS.ProcessEnv;
  let port: number;
  let monitoring: number;

  before(async () => {
    monitoring = await freePort();
    // The archive's collectors are not running: the failover sinks retry, which the tap does not mind.
    env = { ROUTER_PORT: '0', MONITORING_PORT: String(monitoring), MAIN_PORT: String(await freePort()), STANDBY_PORT: String(await freePort()), OUT_DIR: dir.path };
    router = AgentProcess.start(ROUTER, 'router', { cwd: dir.path, env });
    port = await router.portOf('lines');
    await router.portOf('monitoring');
  });

  after(async () => {
    for (const tap of taps) await tap.stop();
    await router?.kill();
    dir.cleanup();
  });

  it('-f FILE -n NAME: prints the events leaving the interceptor chain and entering a sink, with headers, then exits 0 after --limit', async () => {
    const tap = TapProcess.start(['-f', ROUTER, '-n', 'router', 'lines:interceptors', 'alert-log', '--limit', '3'], { env });
    taps.push(tap);
    await tap.attached();
    expect((await nc(port, ['INFO started', 'ERROR disk full password=hunter2'])).replies).to.deep.equal(['OK', 'OK']);
    expect(await tap.exited).to.equal(0);
    const lines = tap.lines();
    expect(lines).to.have.length(3);
    const chain = lines.filter((l) => l.includes(' out of interceptors of lines '));
    expect(chain).to.have.length(2);
    expect(chain[0]).to.match(/^\d{4}-\d\d-\d\dT[\d:.]+Z out of interceptors of lines \{timestamp=\d+, host=[^,]+, dc=eu-west-1, level=INFO\} INFO started$/);
    expect(chain[1]).to.contain('level=ERROR} ERROR disk full password=***');
    expect(lines.filter((l) => l.includes(' into sink alert-log '))).to.have.length(1);
    expect(lines.find((l) => l.includes(' into sink alert-log '))).to.contain('ERROR disk full password=***');
    expect(tap.stderr).to.contain("sluice tap: agent 'router', lines (interceptors), alert-log (sink); at most 10 events/s, 3 events; Ctrl-C to stop");
  });

  it('--url --json: one JSON object per line; a body that is not UTF-8 comes base64 and marked so', async () => {
    const tap = TapProcess.start(['--url', `http://127.0.0.1:${monitoring}`, 'lines', '--limit', '1', '--json']);
    taps.push(tap);
    await tap.attached();
    expect(await ncBytes(port, Buffer.from([0xff, 0xfe, 0x41, 0x0a]))).to.equal(0);
    expect(await tap.exited).to.equal(0);
    const [header, event] = tap.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(header).to.deep.include({ type: 'tap', agent: 'router' });
    expect(event).to.deep.include({ type: 'event', component: 'lines', point: 'source', bodyEncoding: 'base64', body: Buffer.from([0xff, 0xfe, 0x41]).toString('base64') });
  });

  it('Ctrl-C (SIGINT) ends the tap with exit 0 and the agent stops sampling', async () => {
    const tap = TapProcess.start(['--url', String(monitoring), 'lines']);
    taps.push(tap);
    await tap.attached();
    const detachedBefore = router.logs.filter((l) => l.msg === 'tap detached').length;
    tap.child.kill('SIGINT');
    expect(await tap.exited).to.equal(0);
    await router.waitForLog((l) => l.msg === 'tap detached' && router.logs.filter((m) => m.msg === 'tap detached').length > detachedBefore);
    expect((await nc(port, ['INFO after the tap'])).replies).to.deep.equal(['OK']);
  });

  it('refuses clearly: a topology without tap: true, an unknown component, an unreachable agent', async () => {
    const file = dir.write('no-tap.yaml', `agents:\n  a:\n    sources: { s: { type: netcat, port: 0, channels: [m] } }\n    channels: { m: { type: memory } }\n    sinks: { k: { type: logger, channel: m } }\nmonitoring:\n  http: { port: ${monitoring} }\n`);
    const off = TapProcess.start(['-f', file, 's']);
    const unknown = TapProcess.start(['--url', String(monitoring), 'nope']);
    const gone = TapProcess.start(['--url', String(await freePort()), 'lines']);
    taps.push(off, unknown, gone);
    expect(await Promise.all([off.exited, unknown.exited, gone.exited])).to.deep.equal([1, 1, 1]);
    expect(off.stderr).to.contain('does not enable the tap: set monitoring: { http: { port: 41414, tap: true } }');
    expect(unknown.stderr).to.contain("refused the tap (HTTP 404): agent 'router' has no source or sink named 'nope'; taps: lines (source), lines:interceptors, alert-log (sink), to-main (sink), to-standby (sink)");
    expect(gone.stderr).to.contain('ECONNREFUSED; is the agent running with monitoring: { http: { tap: true } }?');
  });
});
