import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../result.js';
import { sendFromWorker } from './syslog.js';

const SLUICE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/cli/dist/src/bin.js');
const RUNS = Number(process.env.BENCH_ROUNDS ?? 5);
const IDLE_MS = 2000;
const SYSLOG_EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** The resident set of a running process, in MB, from /proc. */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** Milliseconds from spawn to exit of `node -e 0`: what bare Node costs to start (and stop). */
async function bareNode(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return performance.now() - started;
}

/** Spawns `node args`, resolves when a line of its output matches `ready`, with the time it took. */
async function startUntil(args: readonly string[], ready: RegExp): Promise<{ child: ChildProcess; ms: number; output: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ms = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) resolve(performance.now() - started);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before it was ready:\n${output}`)));
  });
  return { child, ms, output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Lines in the files of `dir` (file_roll output), counted by newline bytes. */
function linesIn(dir: string): number {
  if (!existsSync(dir)) return 0;
  let lines = 0;
  for (const name of readdirSync(dir)) {
    const data = readFileSync(path.join(dir, name));
    for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

/**
 * Start-up and footprint of the `sluice agent` process, against bare Node in the same run:
 * - `listenRatio`: median time from spawn to "netcat source listening" for netcat -> memory ->
 *   null, over the median time of `node -e 0` (target at most 3);
 * - `idleRssMb`: that agent's RSS after 2 s idle (target at most 50), beside a bare Node process
 *   holding one listening socket (`bareListenRssMb`);
 * - `syslogPeakRssMb`: the agent's peak RSS while it takes the `bench syslog` load (1M 200-byte
 *   lines over TCP into syslog_tcp -> memory -> file_roll, the syslog scenario's topology) (target
 *   at most 100).
 */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-startup-'));
  try {
    const topology = path.join(dir, 'netcat.yaml');
    writeFileSync(topology, `
agents:
  a:
    sources: { r: { type: netcat, port: 0, channels: [m] } }
    channels: { m: { type: memory } }
    sinks: { k: { type: "null", channel: m } }
`);
    const bare: number[] = [];
    const bareListen: number[] = [];
    const bareRss: number[] = [];
    const sluice: number[] = [];
    const idle: number[] = [];
    // Alternate the three so load from other processes affects each alike.
    for (let i = 0; i < RUNS; i++) {
      bare.push(await bareNode());
      const listener = await startUntil(['-e', "require('net').createServer().listen(0, '127.0.0.1', () => console.log('listening'))"], /listening/);
      bareListen.push(listener.ms);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      bareRss.push(rssMb(listener.child.pid!));
      await stop(listener.child);
      const agent = await startUntil([SLUICE_BIN, 'agent', '-f', topology, '-n', 'a'], /netcat source listening/);
      sluice.push(agent.ms);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      idle.push(rssMb(agent.child.pid!));
      await stop(agent.child);
    }
    const syslogPeakRssMb = await syslogLoad(dir);
    const listenRatio = median(sluice) / median(bare);
    return {
      scenario: 'startup',
      runs: RUNS,
      bareNodeMs: Math.round(median(bare)),
      bareListenMs: Math.round(median(bareListen)),
      sluiceListenMs: Math.round(median(sluice)),
      listenRatio: Math.round(listenRatio * 100) / 100,
      listenRatioTarget: 3,
      bareListenRssMb: round1(median(bareRss)),
      idleRssMb: round1(median(idle)),
      idleRssTargetMb: 50,
      syslogEvents: SYSLOG_EVENTS,
      syslogPeakRssMb: round1(syslogPeakRssMb),
      syslogRssTargetMb: 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs an agent process with the syslog scenario's topology, sends it the load and returns its peak RSS. */
async function syslogLoad(dir: string): Promise<number> {
  const out = path.join(dir, 'syslog-out');
  const topology = path.join(dir, 'syslog.yaml');
  writeFileSync(topology, `
agents:
  bench:
    drainTimeout: 60s
    sources:
      in: { type: syslog_tcp, host: 127.0.0.1, port: 0, batchSize: 1000, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: file_roll, channel: mem, batchSize: 1000, directory: ${JSON.stringify(out)}, rollInterval: '0' }
`);
  const agent = await startUntil([SLUICE_BIN, 'agent', '-f', topology, '-n', 'bench'], /"port":(\d+).*syslog_tcp source listening/);
  const port = Number(/"port":(\d+)/.exec(agent.output)![1]);
  let peak = rssMb(agent.child.pid!);
  const sampler = setInterval(() => { peak = Math.max(peak, rssMb(agent.child.pid!)); }, 20);
  try {
    await sendFromWorker(port, SYSLOG_EVENTS);
    const deadline = Date.now() + 120_000;
    // file_roll writes one line per event: the agent has drained once the output stops growing
    // and holds every line (counted only then: reading it is not free).
    let last = -1;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const size = existsSync(out) ? readdirSync(out).reduce((sum, f) => sum + statSync(path.join(out, f)).size, 0) : 0;
      if (size === last && size > 0 && linesIn(out) >= SYSLOG_EVENTS) break;
      last = size;
    }
    return Math.max(peak, rssMb(agent.child.pid!));
  } finally {
    clearInterval(sampler);
    await stop(agent.child);
  }
}
