import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseTopology } from '@sluice/config';
import { Agent, loadTopology } from '@sluice/agent';
import { result, trackPeakRss, type BenchResult, sinkMetrics, drained } from '../result.js';

/** rsyslogd lives in /usr/sbin, which is not on every user's PATH. */
const RSYSLOGD = existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : 'rsyslogd';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const LINE = 200;
const BLOCK_LINES = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

/** 1000 distinct 200-byte RFC 3164 lines (newline included), sent over and over. */
function block(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < BLOCK_LINES; i++) {
    const head = `<134>Nov 26 07:49:31 benchhost app[4242]: request ${i} `;
    lines.push(`${head}${'x'.repeat(LINE - head.length - 1)}\n`);
  }
  return Buffer.from(lines.join(''));
}

/** Writes `events` lines over one TCP connection, honouring the socket's backpressure. */
export async function send(port: number, events: number): Promise<void> {
  const data = block();
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  for (let sent = 0; sent < events; sent += BLOCK_LINES) {
    const chunk = events - sent >= BLOCK_LINES ? data : data.subarray(0, (events - sent) * LINE);
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

/** Runs `send` on a worker thread, so the sender does not compete with the agent's event loop. */
export async function sendFromWorker(port: number, events: number): Promise<void> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { syslogBenchSender: { port, events } } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  await worker.terminate();
}

if (!isMainThread && (workerData as { syslogBenchSender?: unknown } | null)?.syslogBenchSender) {
  const { port, events } = (workerData as { syslogBenchSender: { port: number; events: number } }).syslogBenchSender;
  await send(port, events);
  parentPort!.postMessage('done');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function sluice(dir: string): Promise<{ elapsed: bigint; peak: number }> {
  const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    sources:
      in: { type: syslog_tcp, host: 127.0.0.1, port: 0, batchSize: 1000, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: file_roll, channel: mem, batchSize: 1000, directory: ${JSON.stringify(path.join(dir, 'sluice'))}, rollInterval: '0' }
`);
  const { model, catalog } = await loadTopology(raw);
  const agent = new Agent(model.agents.bench!, catalog);
  await agent.start();
  const port = (agent.sources.get('in')!.source as unknown as { port: number }).port;
  const sink = sinkMetrics(agent, 'out');
  const rss = trackPeakRss();
  const started = process.hrtime.bigint();
  await sendFromWorker(port, EVENTS);
  await drained(sink, EVENTS);
  const elapsed = process.hrtime.bigint() - started;
  const peak = rss.stop();
  await agent.stop(1000);
  return { elapsed, peak };
}

/** Counts newlines appended to `file` since `offset`; returns the new offset and count. */
function countLines(file: string, offset: number, buffer: Buffer): { offset: number; lines: number } {
  if (!existsSync(file)) return { offset, lines: 0 };
  const fd = openSync(file, 'r');
  let lines = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      if (n <= 0) break;
      for (let i = 0; i < n; i++) if (buffer[i] === 0x0a) lines++;
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
  return { offset, lines };
}

/** rsyslogd (imtcp -> omfile) on the same load; resolves with the elapsed time or undefined when rsyslogd is missing. */
async function rsyslog(dir: string): Promise<bigint | undefined> {
  const work = path.join(dir, 'rsyslog');
  mkdirSync(work, { recursive: true });
  const port = await freePort();
  const out = path.join(work, 'out.log');
  const conf = path.join(work, 'rsyslog.conf');
  writeFileSync(conf, `
global(workDirectory="${work}")
module(load="imtcp")
input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="bench")
ruleset(name="bench") { action(type="omfile" file="${out}" template="RSYSLOG_TraditionalFileFormat") }
`);
  const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', path.join(work, 'rsyslogd.pid')], { stdio: 'ignore' });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!spawned) return undefined;
  try {
    for (let i = 0; i < 200; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const probe = net.connect(port, '127.0.0.1', () => { probe.destroy(); resolve(true); });
        probe.once('error', () => resolve(false));
      });
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const buffer = Buffer.allocUnsafe(1 << 20);
    const started = process.hrtime.bigint();
    await sendFromWorker(port, EVENTS);
    let offset = 0;
    let lines = 0;
    while (lines < EVENTS) {
      const counted = countLines(out, offset, buffer);
      offset = counted.offset;
      lines += counted.lines;
      if (lines < EVENTS) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return process.hrtime.bigint() - started;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/**
 * syslog_tcp -> memory -> file_roll with 200-byte RFC 3164 lines over one connection, then
 * rsyslogd (imtcp -> omfile) on the same load, for a side-by-side ratio (sluice / rsyslog). The
 * sender runs on a worker thread in both cases; each peer runs BENCH_ROUNDS (2) times, alternating,
 * and its best round counts.
 */
export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-syslog-'));
  try {
    // Alternate the two peers and keep each one's best round, so load from other processes on a
    // shared machine distorts the ratio less.
    let ours: { elapsed: bigint; peak: number } | undefined;
    let theirs: bigint | undefined;
    let rsyslogMissing = false;
    for (let round = 0; round < ROUNDS; round++) {
      rmSync(path.join(dir, 'sluice'), { recursive: true, force: true });
      rmSync(path.join(dir, 'rsyslog'), { recursive: true, force: true });
      const mine = await sluice(dir);
      if (!ours || mine.elapsed < ours.elapsed) ours = { elapsed: mine.elapsed, peak: Math.max(mine.peak, ours?.peak ?? 0) };
      if (rsyslogMissing) continue;
      const peer = await rsyslog(dir);
      if (peer === undefined) rsyslogMissing = true;
      else if (theirs === undefined || peer < theirs) theirs = peer;
    }
    const extra: Record<string, unknown> = { lineBytes: LINE, rounds: ROUNDS };
    if (theirs !== undefined) {
      const rsyslogPerSec = Math.round(EVENTS / (Number(theirs) / 1e9));
      const oursPerSec = Math.round(EVENTS / (Number(ours!.elapsed) / 1e9));
      extra.rsyslogEventsPerSec = rsyslogPerSec;
      extra.ratioToRsyslog = Math.round((oursPerSec / rsyslogPerSec) * 100) / 100;
    } else {
      extra.rsyslogEventsPerSec = null;
    }
    return result('syslog', EVENTS, EVENTS * LINE, ours!.elapsed, ours!.peak, extra);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
