import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { silentLogger, type Logger } from '@sluice/core';
import { ConnectionBalancer, type BalancedWorker } from './connection-balancer.js';
import { isWorkerMessage, type WorkerReport } from './worker-messages.js';
import { WORKER_COUNT_ENV, WORKER_INDEX_ENV } from './worker-process.js';

/** Options for {@link WorkerSupervisor}. */
export interface WorkerSupervisorOptions {
  /** Worker processes to run (indexes 0 to count - 1). */
  count: number;
  /** Script each worker runs (the `sluice` CLI entry point) and its arguments. */
  exec: string;
  args: readonly string[];
  logger?: Logger;
  /** First restart delay after a worker died; doubles on each quick death, up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** How long `stop` waits for workers to drain and exit before it SIGKILLs the rest (default 45 s). */
  stopTimeoutMs?: number;
}

/** What the primary knows about one worker slot, for /metrics/workers and `sluice top`. */
export interface WorkerInfo {
  readonly index: number;
  readonly pid: number | undefined;
  readonly state: 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';
  /** How many times this slot's process died and was started again. */
  readonly restarts: number;
  /** When the current process reported its agent started (ms since the epoch). */
  readonly startedAt: number | undefined;
  /** TCP connections the primary handed to this worker that are still open (all its sources). */
  readonly connections: number;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  state: WorkerInfo['state'];
  restarts: number;
  startedAt: number | undefined;
  quickDeaths: number;
  timer: NodeJS.Timeout | undefined;
}

/** A worker that quits within this long of starting counts as a quick death (its restart backs off). */
const QUICK_DEATH_MS = 10_000;

/**
 * The primary process of an agent with `workers: N` (N > 1), built on Node's `cluster`: it forks N
 * worker processes, each running the whole pipeline of the agent (see `modelForWorker`), and
 * supervises them. A TCP source's listening socket is the primary's: it accepts each connection and
 * hands it to the worker with the fewest open connections there (see {@link ConnectionBalancer});
 * a UDP socket bound without `exclusive` is shared through cluster (every worker reads datagrams
 * from the same socket).
 *
 * - `start` forks every worker and resolves when each reported its agent started; if one exits
 *   before that, the others are stopped and `start` rejects (a port in use, a locked dataDir).
 * - A worker that dies later is forked again with the same index after a delay (100 ms, doubling on
 *   each death within 10 s of its start, up to 5 s), so it reopens the same channel stores.
 * - `stop` asks every worker to drain (each stops its sources, drains its sinks for drainTimeout and
 *   closes its channels) and resolves when all exited; `kill` sends SIGTERM, which a draining worker
 *   takes as a second signal and exits at once.
 * - `reload` sends SIGHUP to every worker: each re-reads and validates the topology file itself.
 * - `reports` asks every running worker for its metrics and health over IPC.
 * Used by `sluice agent`; only one supervisor may run in a process (cluster settings are global).
 */
export class WorkerSupervisor {
  private readonly slots: Slot[];
  private readonly logger: Logger;
  private stopping = false;
  private nextRequest = 1;
  private readonly pending = new Map<number, (report: WorkerReport | undefined) => void>();
  private startWaiters: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private allExited: (() => void) | undefined;
  private stopped: Promise<void> | undefined;
  private readonly balancer: ConnectionBalancer;

  constructor(private readonly options: WorkerSupervisorOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'workers' });
    this.balancer = new ConnectionBalancer(this.logger);
    this.slots = Array.from({ length: options.count }, (_, index) => ({ index, worker: undefined, state: 'starting', restarts: 0, startedAt: undefined, quickDeaths: 0, timer: undefined }));
  }

  get count(): number {
    return this.slots.length;
  }

  /** Each worker slot's state. */
  get workers(): WorkerInfo[] {
    const open = this.balancer.openConnections();
    return this.slots.map((s) => ({ index: s.index, pid: s.worker?.process.pid, state: s.state, restarts: s.restarts, startedAt: s.startedAt, connections: open.get(s.index) ?? 0 }));
  }

  async start(): Promise<void> {
    cluster.setupPrimary({ exec: this.options.exec, args: [...this.options.args], execArgv: workerExecArgv(this.count, os.availableParallelism()), silent: false });
    const started = new Promise<void>((resolve, reject) => {
      this.startWaiters = { resolve, reject };
    });
    for (const slot of this.slots) this.fork(slot);
    try {
      await started;
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.logger.info({ workers: this.count, pids: this.slots.map((s) => s.worker?.process.pid) }, 'all workers started');
  }

  /** Asks every worker to drain and exit; resolves when none is left. Idempotent: every call gets the same promise. */
  stop(): Promise<void> {
    this.stopped ??= this.stopWorkers();
    return this.stopped;
  }

  private async stopWorkers(): Promise<void> {
    this.stopping = true;
    this.startWaiters?.reject(new Error('the agent was asked to stop while its workers were starting'));
    this.startWaiters = undefined;
    for (const slot of this.slots) {
      clearTimeout(slot.timer);
      if (slot.worker && slot.state !== 'stopped') {
        slot.state = 'stopping';
        if (slot.worker.isConnected()) slot.worker.send({ sluice: 'stop' });
        else slot.worker.process.kill('SIGTERM');
      } else slot.state = 'stopped';
    }
    if (this.slots.every((s) => s.state === 'stopped')) return;
    const timeoutMs = this.options.stopTimeoutMs ?? 45_000;
    const timer = setTimeout(() => {
      const left = this.slots.filter((s) => s.worker && s.state !== 'stopped');
      this.logger.error({ workers: left.map((s) => s.index), timeoutMs }, 'workers did not exit after the drain; killing them (durable channels keep what they committed)');
      for (const slot of left) slot.worker?.process.kill('SIGKILL');
    }, timeoutMs);
    await new Promise<void>((resolve) => {
      this.allExited = resolve;
    });
    clearTimeout(timer);
    this.balancer.close();
  }

  /** Sends SIGTERM to every live worker: a worker that is already draining exits at once. */
  kill(): void {
    for (const slot of this.slots) slot.worker?.process.kill('SIGTERM');
  }

  /** Sends SIGHUP to every live worker, which reloads the topology file. */
  reload(): void {
    for (const slot of this.slots) if (slot.state === 'running') slot.worker?.process.kill('SIGHUP');
  }

  /** Every worker's metrics and health; undefined for a worker that is not running or did not answer in time. */
  async reports(timeoutMs = 2000): Promise<(WorkerReport | undefined)[]> {
    return Promise.all(this.slots.map((slot) => {
      const worker = slot.worker;
      if (!worker || slot.state !== 'running' || !worker.isConnected()) return undefined;
      const id = this.nextRequest++;
      return new Promise<WorkerReport | undefined>((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          resolve(undefined);
        }, timeoutMs);
        this.pending.set(id, (report) => {
          clearTimeout(timer);
          resolve(report);
        });
        worker.send({ sluice: 'metrics', id }, (error: Error | null) => {
          if (error) this.pending.get(id)?.(undefined);
        });
      });
    }));
  }

  private fork(slot: Slot): void {
    slot.state = slot.restarts === 0 && slot.startedAt === undefined ? 'starting' : 'restarting';
    const forkedAt = Date.now();
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(slot.index), [WORKER_COUNT_ENV]: String(this.count) });
    slot.worker = worker;
    const balanced: BalancedWorker = {
      index: slot.index,
      send: (message, socket, callback) => {
        if (!worker.isConnected()) callback(new Error(`worker ${slot.index} is not connected`));
        else if (socket) worker.send(message, socket, callback);
        else worker.send(message, callback);
      },
    };
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (this.balancer.handle(balanced, message)) return;
      if (message.sluice === 'started') {
        slot.state = this.stopping ? 'stopping' : 'running';
        // A stop asked while this worker was starting reached it before it listened: ask again.
        if (this.stopping && worker.isConnected()) worker.send({ sluice: 'stop' });
        slot.startedAt = Date.now();
        if (slot.restarts > 0) this.logger.info({ worker: slot.index, workerPid: worker.process.pid, restarts: slot.restarts }, 'worker restarted; its channels were reopened');
        if (this.startWaiters && this.slots.every((s) => s.state === 'running')) {
          this.startWaiters.resolve();
          this.startWaiters = undefined;
        }
      } else if (message.sluice === 'metrics') {
        const answer = this.pending.get(message.id);
        this.pending.delete(message.id);
        answer?.(message.report);
      }
    });
    worker.on('error', (err) => this.logger.warn({ err, worker: slot.index }, 'worker IPC error'));
    worker.once('exit', (code, signal) => {
      this.balancer.workerGone(balanced);
      this.exited(slot, worker, forkedAt, code, signal);
    });
  }

  private exited(slot: Slot, worker: Worker, forkedAt: number, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    if (this.stopping) {
      slot.state = 'stopped';
      this.logger.info({ worker: slot.index, code, signal }, 'worker stopped');
      if (this.slots.every((s) => s.state === 'stopped')) this.allExited?.();
      return;
    }
    if (this.startWaiters) {
      slot.state = 'stopped';
      this.startWaiters.reject(new Error(`worker ${slot.index} exited during start (code ${code}, signal ${signal}); see its log lines above`));
      this.startWaiters = undefined;
      return;
    }
    slot.quickDeaths = Date.now() - forkedAt < QUICK_DEATH_MS ? slot.quickDeaths + 1 : 0;
    const base = this.options.restartDelayMs ?? 100;
    const delay = Math.min(this.options.maxRestartDelayMs ?? 5000, base * 2 ** Math.max(0, slot.quickDeaths - 1));
    slot.state = 'restarting';
    slot.restarts++;
    this.logger.error({ worker: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; starting it again with the same index (its channels are reopened)');
    slot.timer = setTimeout(() => {
      if (!this.stopping) this.fork(slot);
    }, delay);
  }
}

/**
 * The Node.js flags each worker starts with: the primary's own, plus V8's `--single-threaded` when
 * there are at least as many workers as cores. V8 normally hands garbage collection and compilation
 * to helper threads (four per process); with a worker on every core those threads only run on cores
 * the other workers need and preempt their main threads. In fourteen interleaved runs of 4M syslog
 * lines into 2 workers on 2 cores, the workers spent less CPU with the flag in all 14 (median 2.2
 * against 2.7 s) and moved more messages/s in 12 (median 3.0M against 2.5M). An operator's own
 * choice of any of these flags (in `execArgv` or NODE_OPTIONS) is kept, and fewer workers than
 * cores keep V8's default.
 */
export function workerExecArgv(workers: number, cores: number, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const threadFlag = /(^|\s)--(no-)?(single-threaded|single-threaded-gc|parallel-scavenge|concurrent-recompilation)(\s|=|$)/;
  const chosen = execArgv.some((flag) => threadFlag.test(flag)) || threadFlag.test(nodeOptions);
  return workers >= cores && !chosen ? [...execArgv, '--single-threaded'] : [...execArgv];
}
