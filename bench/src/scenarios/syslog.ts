import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ProcessTreeUsage } from '../process-tree.js';
import { median, result, type BenchResult } from '../result.js';

/** rsyslogd lives in /usr/sbin, which is not on every user's PATH. */
const RSYSLOGD = existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : 'rsyslogd';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../../..');
const SLUICE_BIN = path.join(REPO, 'packages/cli/dist/src/bin.js');
/** Where fetch-syslog-ng.sh unpacks syslog-ng (.tools/ is ignored by git). */
const SYSLOG_NG_DIR = path.join(REPO, '.tools', 'syslog-ng');
const FETCH_SYSLOG_NG = path.join(REPO, 'bench', 'scripts', 'fetch-syslog-ng.sh');

// 4M lines: at 1M a contender is done in under 2 s, mostly start-up and JIT warm-up (each worker
// warms up on its own), and the ratios swung 0.8x-1.5x between runs; 4M measures steady state.
const EVENTS = Number(process.env.BENCH_EVENTS ?? 4_000_000);
/** Concurrent TCP connections the load is spread over (one sender host each, in real life). */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/**
 * Lines each contender gets, untimed, before the measured load: Node's JIT (in every worker) and
 * each daemon's buffers warm up, so the load measures the steady state a long-running agent lives
 * in rather than its first second.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1_000_000);
const LINE = 200;
const BLOCK_LINES = 1000;
/** A contender that has not written every line after this long is reported as incomplete. */
const DEADLINE_MS = 300_000;

/** 1000 distinct 200-byte RFC 3164 lines (newline included), sent over and over. */
function block(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < BLOCK_LINES; i++) {
    const head = `<134>Nov 26 07:49:31 benchhost app[4242]: request ${i} `;
    lines.push(`${head}${'x'.repeat(LINE - head.length - 1)}\n`);
  }
  return Buffer.from(lines.join(''));
}

/** One connection of the load, open before the clock starts. */
async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/**
 * The load's lines not yet handed to a connection. Connections take blocks from it as fast as
 * their receiver reads, so a receiver that runs behind on one connection is not left with a fixed
 * share to finish alone: with a fixed share per connection, the 2-worker agent's faster worker sat
 * idle at the end of every run for 5-15% of it while the other finished its connections' lines.
 */
interface LinePool { remaining: number }

/** Writes blocks of lines from `pool` over `socket` until the pool is empty, honouring backpressure; then closes it. */
async function sendFromPool(socket: net.Socket, data: Buffer, pool: LinePool): Promise<void> {
  while (pool.remaining > 0) {
    const lines = Math.min(BLOCK_LINES, pool.remaining);
    pool.remaining -= lines;
    const chunk = lines === BLOCK_LINES ? data : data.subarray(0, lines * LINE);
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

/**
 * The load generator: a worker thread (off the harness's event loop) holding CONNECTIONS open
 * connections. `open()` returns once the thread runs and every connection is accepted, so a
 * clock started before `send()` measures the contender, not the generator's start-up (a worker
 * thread and its connections took 31-39 ms to start: 3% of a 1.2 s run, a cost the faster contender
 * paid more of).
 */
export class SyslogLoad {
  private constructor(private readonly worker: Worker) {}

  static async open(port: number, events: number): Promise<SyslogLoad> {
    const worker = new Worker(new URL(import.meta.url), { workerData: { syslogBenchSender: { port, events } } });
    await SyslogLoad.next(worker);
    return new SyslogLoad(worker);
  }

  /** Writes the load and resolves once the lines are all written and every connection closed. */
  async send(): Promise<void> {
    const done = SyslogLoad.next(this.worker);
    this.worker.postMessage('go');
    await done;
    await this.worker.terminate();
  }

  private static next(worker: Worker): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
  }
}

/** Sends `events` lines over CONNECTIONS connections, the generator's start-up included. */
export async function sendFromWorker(port: number, events: number): Promise<void> {
  await (await SyslogLoad.open(port, events)).send();
}

if (!isMainThread && (workerData as { syslogBenchSender?: unknown } | null)?.syslogBenchSender) {
  const { port, events } = (workerData as { syslogBenchSender: { port: number; events: number } }).syslogBenchSender;
  const data = block();
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(port)));
  const pool: LinePool = { remaining: events };
  parentPort!.once('message', () => {
    void Promise.all(sockets.map((socket) => sendFromPool(socket, data, pool))).then(() => parentPort!.postMessage('done'));
  });
  parentPort!.postMessage('connected');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Counts the lines a contender wrote under `dir`. While it runs, `estimate()` only stats the
 * files: every contender writes lines of one length for this load (the generator pads each
 * message to 200 bytes), so the count is the total size over the length of the first line.
 * `count()` reads every byte and counts the newlines themselves; the harness calls it once the
 * clock stopped. Counting by reading while the contender ran cost the harness 0.1-0.2 CPU
 * seconds per run, taken from the cores the 2-worker agent needs.
 */
class LineCounter {
  private readonly offsets = new Map<string, number>();
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private lineLength = 0;
  lines = 0;
  constructor(private readonly dir: string) {}

  /** Lines written so far, from the files' sizes (a lower bound until the first line is seen). */
  estimate(): number {
    if (!existsSync(this.dir)) return 0;
    let bytes = 0;
    for (const name of readdirSync(this.dir)) {
      const file = path.join(this.dir, name);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        continue;
      }
      bytes += size - (this.offsets.get(file) ?? 0);
      if (this.lineLength === 0 && size > 0) this.lineLength = this.firstLineLength(file);
    }
    return this.lineLength === 0 ? 0 : this.lines + Math.floor(bytes / this.lineLength);
  }

  /** Lines written so far, counted newline by newline (incrementally, remembering offsets). */
  count(): number {
    if (!existsSync(this.dir)) return 0;
    for (const name of readdirSync(this.dir)) {
      const file = path.join(this.dir, name);
      let offset = this.offsets.get(file) ?? 0;
      let fd: number;
      try {
        fd = openSync(file, 'r');
      } catch {
        continue;
      }
      try {
        for (;;) {
          const n = readSync(fd, this.buffer, 0, this.buffer.length, offset);
          if (n <= 0) break;
          // indexOf is a native memchr.
          for (let i = this.buffer.indexOf(0x0a, 0); i >= 0 && i < n; i = this.buffer.indexOf(0x0a, i + 1)) this.lines++;
          offset += n;
        }
      } finally {
        closeSync(fd);
      }
      this.offsets.set(file, offset);
    }
    return this.lines;
  }

  private firstLineLength(file: string): number {
    const fd = openSync(file, 'r');
    try {
      const n = readSync(fd, this.buffer, 0, 4096, this.offsets.get(file) ?? 0);
      const newline = this.buffer.subarray(0, n).indexOf(0x0a);
      return newline < 0 ? 0 : newline + 1;
    } finally {
      closeSync(fd);
    }
  }
}

/** A started contender: its process, the port it listens on, the directory it writes to. */
interface Started {
  child: ChildProcess;
  port: number;
  outDir: string;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const probe = net.connect(port, '127.0.0.1', () => { probe.destroy(); resolve(true); });
      probe.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`port ${port} never opened`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** `sluice agent` (syslog_tcp -> memory -> file_roll) as its own process, with `workers` workers. */
async function startSluice(work: string, workers: number): Promise<Started> {
  const port = await freePort();
  const outDir = path.join(work, 'out');
  const file = path.join(work, 'topology.yaml');
  writeFileSync(file, `
agents:
  bench:
    workers: ${workers}
    drainTimeout: 10s
    dataDir: ${JSON.stringify(path.join(work, 'data'))}
    sources:
      in: { type: syslog_tcp, host: 127.0.0.1, port: ${port}, batchSize: 1000, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 20000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: file_roll, channel: mem, batchSize: 1000, directory: ${JSON.stringify(outDir)}, rollInterval: '0' }
`);
  const child = spawn(process.execPath, [SLUICE_BIN, 'agent', '-f', file, '-n', 'bench', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = workers > 1 ? 'all workers started' : 'agent started';
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes(`"msg":"${ready}"`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sluice exited with code ${code} before starting: ${text.slice(-500)}`)));
  });
  child.stdout!.resume();
  return { child, port, outDir };
}

/** rsyslogd, tuned: imtcp -> a LinkedList ruleset queue with 2 workers dequeuing 2048 at a time -> omfile with a 1 MiB buffer. */
async function startRsyslog(work: string): Promise<Started | undefined> {
  const port = await freePort();
  const outDir = path.join(work, 'out');
  mkdirSync(outDir, { recursive: true });
  const conf = path.join(work, 'rsyslog.conf');
  writeFileSync(conf, `
global(workDirectory="${work}")
module(load="imtcp" MaxSessions="100")
input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="bench")
ruleset(name="bench" queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="2048" queue.workerThreads="2") {
  action(type="omfile" file="${path.join(outDir, 'out.log')}" template="RSYSLOG_TraditionalFileFormat" ioBufferSize="1m")
}
`);
  const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', path.join(work, 'rsyslogd.pid')], { stdio: 'ignore' });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!spawned) return undefined;
  await waitForPort(port, child);
  return { child, port, outDir };
}

/** The unpacked syslog-ng binary, fetched with bench/scripts/fetch-syslog-ng.sh on first use; or why not. */
function syslogNgBinary(): { bin: string } | { missing: string } {
  const bin = path.join(SYSLOG_NG_DIR, 'usr/sbin/syslog-ng');
  if (existsSync(bin)) return { bin };
  const fetched = spawnSync('sh', [FETCH_SYSLOG_NG, SYSLOG_NG_DIR], { encoding: 'utf8', timeout: 300_000 });
  if (fetched.status === 0 && existsSync(bin)) return { bin };
  return { missing: `syslog-ng could not be fetched with apt-get download + dpkg-deb (${(fetched.stderr ?? '').trim().split('\n').pop() ?? fetched.error?.message}); column skipped` };
}

/** syslog-ng from its unpacked .deb, tuned: threaded, 1000 messages per read, a big window, flow control. */
async function startSyslogNg(work: string, bin: string): Promise<Started> {
  const port = await freePort();
  const outDir = path.join(work, 'out');
  mkdirSync(outDir, { recursive: true });
  const conf = path.join(work, 'syslog-ng.conf');
  writeFileSync(conf, `@version: 3.38
options { threaded(yes); use-dns(no); use-fqdn(no); keep-hostname(yes); chain-hostnames(no); stats-freq(0); log-fifo-size(200000); };
source s_net { network(ip("127.0.0.1") port(${port}) transport("tcp") max-connections(10) log-fetch-limit(1000) log-iw-size(100000)); };
destination d_file { file("${path.join(outDir, 'out.log')}" flush-lines(1000)); };
log { source(s_net); destination(d_file); flags(flow-control); };
`);
  const root = SYSLOG_NG_DIR;
  const env = { ...process.env, LD_LIBRARY_PATH: [`${root}/usr/lib/x86_64-linux-gnu`, `${root}/lib/x86_64-linux-gnu`, `${root}/usr/lib/syslog-ng`, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  const child = spawn(bin, ['-F', '--no-caps', '-f', conf, `--module-path=${root}/usr/lib/syslog-ng/3.38`, '-R', path.join(work, 'persist'), '-p', path.join(work, 'pid'), '-c', path.join(work, 'ctl')], { stdio: ['ignore', 'ignore', 'inherit'], env });
  await waitForPort(port, child);
  return { child, port, outDir };
}

/**
 * The machine's ceiling for this load: a process that only copies what the connections send into
 * a file (no framing, no parsing), fed by the same sender. No relay that writes every message can
 * beat it here, so it bounds what the contenders' ratios can reach on this host.
 */
async function startCopyCeiling(work: string): Promise<Started> {
  const port = await freePort();
  const outDir = path.join(work, 'out');
  mkdirSync(outDir, { recursive: true });
  const script = `
const net = require('node:net'); const fs = require('node:fs');
let n = 0;
net.createServer((socket) => socket.pipe(fs.createWriteStream(${JSON.stringify(outDir)} + '/copy-' + (n++) + '.log'))).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  await waitForPort(port, child);
  return { child, port, outDir };
}

/**
 * One measured run: msgs/s, CPU seconds of the contender's processes (and of their main threads
 * alone), the machine's busy CPU seconds over the run, their peak RSS.
 */
interface Run { msgsPerSec: number; cpuSeconds: number; mainThreadCpuSeconds: number; machineCpuSeconds: number; stolenCpuSeconds: number; peakRssMb: number; complete: boolean; round?: number }

/** Checks `done` every 5 ms until it holds or `deadline` (ms since the epoch) passed. */
async function pollUntil(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) await sleep(5);
}

/**
 * Sends the untimed warm-up load and returns the counter of the contender's output, positioned
 * after it.
 */
async function warmUp(started: Started): Promise<LineCounter> {
  const counter = new LineCounter(started.outDir);
  if (WARMUP > 0) {
    await sendFromWorker(started.port, WARMUP);
    await pollUntil(() => counter.estimate() >= WARMUP, Date.now() + DEADLINE_MS);
    // The warm-up's connections are closed; the workers tell the primary within a few ms, so the
    // measured load's connections are balanced over all of them again.
    await sleep(300);
  }
  counter.count();
  return counter;
}

/**
 * Writes and deletes a file the size of one load's output just before the load, so every
 * contender's writes land on page-cache pages the kernel freed a moment ago. Without it, whichever
 * contender a round measured first wrote into memory the VM had handed back to its host (free page
 * reporting returns pages freed 2 s earlier; the previous round's outputs were deleted longer ago
 * than that), and paid 30-50% more CPU per message for it, while the second reused the pages the
 * first one's output had just freed: w2/w1 swung from 1.1 to 3.1 with the order of the round.
 */
function primePageCache(dir: string): void {
  const file = path.join(dir, 'page-cache-primer');
  const chunk = Buffer.alloc(8 * 1024 * 1024, 0x78);
  const fd = openSync(file, 'w');
  try {
    for (let written = 0; written < EVENTS * LINE; written += chunk.length) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
}

/** One measured load into a started, warmed-up contender. */
async function measure(started: Started, counter: LineCounter, dir: string): Promise<Run> {
  primePageCache(dir);
  const usage = new ProcessTreeUsage(started.child.pid!);
  const deadline = Date.now() + DEADLINE_MS;
  const base = counter.lines;
  const load = await SyslogLoad.open(started.port, EVENTS);
  usage.start();
  const t0 = process.hrtime.bigint();
  await load.send();
  await pollUntil(() => counter.estimate() - base >= EVENTS, deadline);
  let seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Read before the harness counts the output itself, which is not the contender's work.
  const usageAtEnd = usage.stop();
  // Lines of another length would make the estimate run ahead: the real count has the last word,
  // and the clock then runs until it agrees.
  if (counter.count() - base < EVENTS) {
    await pollUntil(() => counter.count() - base >= EVENTS, deadline);
    seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  const got = counter.lines - base;
  return { msgsPerSec: Math.round(got / seconds), ...usageAtEnd, complete: got >= EVENTS };
}

interface Contender { name: string; start(work: string): Promise<Started | undefined> }

function workDir(dir: string, contender: Contender, round: number): string {
  return path.join(dir, `${contender.name}-${round}`);
}

/**
 * Contenders measured side by side: all started and warmed up, then measured one after the
 * other, in turn, reversed every odd round. The two Sluice contenders form one group, so each
 * round's w1 and w2 loads run seconds apart (the host's speed here drifts by up to 50% within
 * minutes, and what w2/w1 should measure is the agent's scaling, not the drift), and a host that
 * speeds up or slows down steadily over a round favours neither.
 *
 * Each contender is stopped and its output deleted right after its load, before the next one is
 * measured. A load leaves 1 GB of output in the page cache; with two in it at once the page cache
 * grew into memory this VM had never touched, and the second contender's writes then cost the
 * kernel up to 10x the CPU (it halved the rate of whichever Sluice contender ran second).
 */
async function measureGroup(group: Contender[], round: number, dir: string, runs: Map<string, Run[]>, notes: string[]): Promise<void> {
  const order = round % 2 === 0 ? group : [...group].reverse();
  const started = new Map<Contender, { started: Started; counter?: LineCounter }>();
  try {
    for (const contender of order) {
      const work = workDir(dir, contender, round);
      mkdirSync(work, { recursive: true });
      try {
        const one = await contender.start(work);
        if (one) started.set(contender, { started: one });
        else notes.push(`${contender.name} is not installed; column skipped`);
      } catch (error) {
        notes.push(`${contender.name} round ${round}: ${(error as Error).message}`);
      }
    }
    for (const [contender, entry] of started) {
      try {
        entry.counter = await warmUp(entry.started);
      } catch (error) {
        notes.push(`${contender.name} round ${round}: ${(error as Error).message}`);
      }
    }
    for (const [contender, entry] of started) {
      try {
        if (entry.counter) {
          const measured = { ...(await measure(entry.started, entry.counter, dir)), round };
          runs.set(contender.name, [...(runs.get(contender.name) ?? []), measured]);
          if (process.env.BENCH_VERBOSE) process.stderr.write(`${contender.name} round ${round}: ${JSON.stringify(measured)}\n`);
        }
      } catch (error) {
        notes.push(`${contender.name} round ${round}: ${(error as Error).message}`);
      } finally {
        // Its output leaves the page cache before the next contender runs (see above).
        started.delete(contender);
        await stopChild(entry.started.child);
        rmSync(workDir(dir, contender, round), { recursive: true, force: true });
      }
    }
  } finally {
    // Only after a failure: what is still running, and the directories of what never started.
    for (const entry of started.values()) await stopChild(entry.started.child);
    for (const contender of group) rmSync(workDir(dir, contender, round), { recursive: true, force: true });
  }
}

/**
 * w2/w1 of each round, median over the rounds: the figure the 1.7x target is checked against.
 * The two run seconds apart in a round, under the same conditions, so what moves the host's speed
 * between rounds cancels; the ratio of the best rounds can pair a w1 and a w2 measured a minute
 * apart, and the median leaves out a round that one spell of noise hit. With `uncontended`, only
 * rounds in which neither load lost more than STEAL_TOLERANCE of the cores to the hypervisor count.
 */
function pairedRatio(runs: Map<string, Run[]>, uncontended = false): { ratio: number | null; rounds: number } {
  const two = runs.get('sluiceWorkers2') ?? [];
  const calm = (run: Run): boolean => !uncontended || stolenShare(run) <= STEAL_TOLERANCE;
  const ratios = (runs.get('sluiceWorkers1') ?? []).flatMap((a) => {
    const b = two.find((r) => r.round === a.round);
    return b && calm(a) && calm(b) ? [b.msgsPerSec / a.msgsPerSec] : [];
  });
  return { ratio: ratios.length === 0 ? null : Math.round(median(ratios) * 100) / 100, rounds: ratios.length };
}

/**
 * Most steal a load may show and still count as run on an uncontended host. Steal appears almost
 * only in 2-worker loads (both vCPUs busy), and rounds with it gave w2/w1 1.38-1.60 against 1.95
 * in the same run without it: it marks a spell in which the host ran other guests on our cores,
 * which slows the 2-core load more than the steal itself accounts for.
 */
const STEAL_TOLERANCE = 0.01;

/**
 * The share of the machine's cores the hypervisor gave to others during a load (steal time over
 * cores x the load's seconds). Every contender here wants both cores at some point; a share of a
 * few percent or more means the host was contended and the load ran on less than two cores.
 */
function stolenShare(run: Run): number {
  const seconds = EVENTS / run.msgsPerSec;
  return Math.round((run.stolenCpuSeconds / (os.availableParallelism() * seconds)) * 1000) / 1000;
}

/** CPU seconds per million messages of the load. */
function perMillion(cpuSeconds: number): number {
  return Math.round((cpuSeconds / (EVENTS / 1e6)) * 100) / 100;
}

/**
 * The most msgs/s `workers: 2` could reach on this machine in this run. The 1-worker
 * agent is bound by its main thread (its GC helpers and the kernel's work run on the other core);
 * 2 workers share every core with the load generator, the harness and the kernel's loopback TCP
 * work. If each message cost the 2 workers no more than it cost the 1-worker main thread alone,
 * and the rest of the machine what it cost in the 2-worker run, the cores would carry
 * cores / (main + rest) messages/s. Over the 1-worker rate, it is the ceiling of w2/w1.
 */
function scalingCeiling(one: Run, two: Run, cores: number): number {
  const mainPerMessage = one.mainThreadCpuSeconds / EVENTS;
  const restPerMessage = Math.max(0, two.machineCpuSeconds - two.cpuSeconds) / EVENTS;
  return cores / (mainPerMessage + restPerMessage);
}

/**
 * One load, four contenders, each as its own process(es) measured the same way: EVENTS 200-byte
 * RFC 3164 lines over CONNECTIONS TCP connections into a file, after an untimed warm-up of WARMUP
 * lines. Sluice (syslog_tcp -> memory -> file_roll) with `workers: 1` and `workers: 2`, rsyslogd
 * (imtcp -> omfile, tuned) and syslog-ng (network -> file, tuned, from its unpacked .deb; skipped
 * with a note when it cannot be fetched), and a copy-to-file process that only appends the bytes
 * it receives (the host's ceiling for this load: 1.5x a peer is out of reach where the peer
 * already runs at the ceiling).
 * Each contender prints msgs/s, CPU seconds (user + system of all its processes) per million
 * messages, its main threads' share of them, the rest of the machine's busy CPU seconds per million
 * (the generator, the harness, the kernel), the share of the cores the hypervisor gave to others
 * meanwhile (`stolenCpuShare`; `stolenCpuShareRange` over every load of the run) and peak RSS; the
 * contenders alternate for BENCH_ROUNDS rounds and each keeps its best round, the range over
 * rounds shows the noise of a shared machine
 * (BENCH_VERBOSE=1 prints every round to stderr). `workers2ToWorkers1` is the median of each
 * round's ratio (see `pairedRatio`), `workers2ToWorkers1Uncontended` the same over the
 * `uncontendedRounds` rounds whose loads the hypervisor left their cores (see STEAL_TOLERANCE; null
 * when none did), `workers2ToWorkers1BestRounds` the ratio of the best rounds, and
 * `workers2ToWorkers1Ceiling` what 2 workers could reach over 1 on this machine in the same run
 * (see `scalingCeiling`).
 */
export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-syslog-'));
  const notes: string[] = [];
  const ng = syslogNgBinary();
  if ('missing' in ng) notes.push(ng.missing);
  const groups: Contender[][] = [
    [{ name: 'sluiceWorkers1', start: (work) => startSluice(work, 1) }, { name: 'sluiceWorkers2', start: (work) => startSluice(work, 2) }],
    [{ name: 'rsyslog', start: startRsyslog }],
    ...('bin' in ng ? [[{ name: 'syslogNg', start: (work: string) => startSyslogNg(work, ng.bin) }]] : []),
    [{ name: 'copyCeiling', start: startCopyCeiling }],
  ];
  // BENCH_CONTENDERS=sluiceWorkers1,sluiceWorkers2 measures only those (while working on one).
  const only = process.env.BENCH_CONTENDERS?.split(',');
  const runs = new Map<string, Run[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const group of groups) {
        const members = group.filter((c) => !only || only.includes(c.name));
        if (members.length > 0) await measureGroup(members, round, dir, runs, notes);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary: Record<string, unknown> = {};
  const best = new Map<string, Run>();
  for (const [name, list] of runs) {
    const top = list.reduce((a, b) => (b.msgsPerSec > a.msgsPerSec ? b : a));
    best.set(name, top);
    summary[name] = {
      msgsPerSec: top.msgsPerSec,
      msgsPerSecRange: [Math.min(...list.map((r) => r.msgsPerSec)), Math.max(...list.map((r) => r.msgsPerSec))],
      cpuSecondsPerMillion: perMillion(top.cpuSeconds),
      mainThreadCpuSecondsPerMillion: perMillion(top.mainThreadCpuSeconds),
      restOfMachineCpuSecondsPerMillion: perMillion(Math.max(0, top.machineCpuSeconds - top.cpuSeconds)),
      stolenCpuShare: stolenShare(top),
      peakRssMb: top.peakRssMb,
      ...(list.every((r) => r.complete) ? {} : { incomplete: true }),
    };
  }
  const stolen = [...runs.values()].flat().map(stolenShare);
  const calmRounds = pairedRatio(runs, true);
  const one = best.get('sluiceWorkers1');
  const two = best.get('sluiceWorkers2');
  const peers = ['rsyslog', 'syslogNg'].map((n) => best.get(n)).filter((r): r is Run => r !== undefined);
  const fasterPeer = peers.length > 0 ? Math.max(...peers.map((r) => r.msgsPerSec)) : undefined;
  const ceiling = best.get('copyCeiling');
  const ratio = (a: number | undefined, b: number | undefined): number | null => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const seconds = two ? EVENTS / two.msgsPerSec : 0;
  return result('syslog', EVENTS, EVENTS * LINE, BigInt(Math.round(seconds * 1e9)), two?.peakRssMb ?? 0, {
    lineBytes: LINE, connections: CONNECTIONS, rounds: ROUNDS, cores: os.availableParallelism(),
    contenders: summary,
    workers2ToWorkers1: pairedRatio(runs).ratio,
    workers2ToWorkers1Uncontended: calmRounds.ratio,
    uncontendedRounds: calmRounds.rounds,
    stolenCpuShareRange: stolen.length > 0 ? [Math.min(...stolen), Math.max(...stolen)] : null,
    workers2ToWorkers1BestRounds: ratio(two?.msgsPerSec, one?.msgsPerSec),
    workers2ToWorkers1Ceiling: one && two ? ratio(scalingCeiling(one, two, os.availableParallelism()), one.msgsPerSec) : null,
    workers2ToFasterPeer: ratio(two?.msgsPerSec, fasterPeer),
    workers2ToCopyCeiling: ratio(two?.msgsPerSec, ceiling?.msgsPerSec),
    fasterPeerToCopyCeiling: ratio(fasterPeer, ceiling?.msgsPerSec),
    targets: { workers2ToWorkers1: 1.7, workers2ToFasterPeer: 1.5 },
    ...(notes.length > 0 ? { notes } : {}),
  });
}
