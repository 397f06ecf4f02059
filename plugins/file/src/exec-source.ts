import {
  createHeaders, Backoff, isRetriable, LineSplitter, parseDuration, type EventDrivenSource, type SluiceEvent, type SourceContext,
} from '@sluice/core';
import { ProcessGroup, type GroupExit } from './process-group.js';

/** Config of the `exec` source. */
export interface ExecSourceConfig {
  command: string;
  shell: string;
  restart: boolean;
  restartThrottle: string;
  logStdErr: boolean;
  batchSize: number;
  batchTimeout: string;
  charset: string;
  maxLineLength: number;
  stopGracePeriod: string;
}

/** How many of the command's last stderr lines are kept for the exit log line. */
const STDERR_TAIL_LINES = 10;
const STDERR_LINE_BYTES = 1024;

/**
 * The argv of a run: `shell` split on whitespace with the command as its last argument (`/bin/sh -c`
 * gives pipes and globs), or the command itself split on whitespace, as Flume does.
 */
export function execArgv(config: Pick<ExecSourceConfig, 'command' | 'shell'>): string[] {
  const split = (text: string) => text.trim().split(/\s+/).filter(Boolean);
  return config.shell.trim() === '' ? split(config.command) : [...split(config.shell), config.command];
}

/**
 * Flume's exec source: runs a command and turns each line of its standard output into an event.
 * The command runs in a process group of its own, and stopping the source (agent stop, reload)
 * ends the whole group: SIGTERM, then SIGKILL after `stopGracePeriod`. With `restart`, a command
 * that exits is run again after `restartThrottle`; its exit code and last stderr lines are logged.
 *
 * Backpressure: while a batch is being committed, or retried because a channel is full, the pipe is
 * not read, so the command blocks on write once the pipe buffer fills; memory stays bounded by one
 * pipe read plus one batch. There is no delivery guarantee: lines the command wrote that are still
 * in the pipe or in the batch being retried when the source stops or the agent dies are lost, and
 * a restarted command decides itself where it resumes (use taildir to follow files safely).
 */
export class ExecSource implements EventDrivenSource {
  readonly name: string;
  private readonly argv: string[];
  private readonly batchSize: number;
  private readonly batchTimeoutMs: number;
  private readonly restartThrottleMs: number;
  private readonly graceMs: number;
  private group: ProcessGroup | undefined;
  private running = false;
  private pending: SluiceEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Deliveries run one after another on this chain, in line order. */
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private runs = 0;
  private wakeRetry: (() => void) | undefined;

  constructor(private readonly config: ExecSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.argv = execArgv(config);
    this.batchSize = config.batchSize;
    this.batchTimeoutMs = parseDuration(config.batchTimeout);
    this.restartThrottleMs = parseDuration(config.restartThrottle);
    this.graceMs = parseDuration(config.stopGracePeriod);
    ctx.metrics.gauge('CommandRunning', () => (this.group && !this.group.exitStatus ? 1 : 0));
  }

  /** The process group id of the current run (for tests and diagnostics); undefined between runs. */
  get pgid(): number | undefined {
    return this.group && !this.group.exitStatus ? this.group.pgid : undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.ctx.logger.warn({ command: this.config.command }, 'exec source: no delivery guarantee (lines in the pipe when the agent stops or dies are lost, a restarted command does not resume where it left off); use taildir to follow files');
    this.ctx.metrics.startTime = Date.now();
    this.launch();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.restartTimer);
    clearTimeout(this.flushTimer);
    this.wakeRetry?.();
    const group = this.group;
    if (group) {
      group.stdout.pause();
      await group.terminate(this.graceMs);
      group.stdout.destroy();
      group.stderr.destroy();
    }
    await this.chain;
    // Lines already read from the pipe get one delivery attempt.
    if (this.pending.length > 0) await this.deliver(this.takePending());
    this.ctx.metrics.stopTime = Date.now();
  }

  private launch(): void {
    if (!this.running) return;
    const run = ++this.runs;
    const group = new ProcessGroup(this.argv[0]!, this.argv.slice(1));
    this.group = group;
    this.ctx.logger.info({ command: this.config.command, pgid: group.pgid, run }, 'exec source started the command');
    const stderrTail: string[] = [];
    const errSplitter = new LineSplitter(STDERR_LINE_BYTES);
    group.stderr.on('data', (chunk: Buffer) => {
      for (const line of errSplitter.push(chunk).lines) {
        const text = line.toString();
        if (this.config.logStdErr) this.ctx.logger.info({ stderr: text, pgid: group.pgid }, 'exec command stderr');
        stderrTail.push(text);
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      }
    });
    const splitter = new LineSplitter(this.config.maxLineLength);
    group.stdout.on('data', (chunk: Buffer) => {
      const { lines, truncated } = splitter.push(chunk);
      if (truncated > 0) this.ctx.metrics.inc('EventTruncatedCount', truncated);
      this.accept(lines, group);
    });
    const stdoutEnded = new Promise<void>((resolve) => {
      group.stdout.once('end', () => {
        const rest = splitter.flush();
        if (rest) this.accept([rest], group);
        resolve();
      });
      group.stdout.once('close', resolve);
    });
    void Promise.all([group.exited, stdoutEnded]).then(([exit]) => this.ended(group, exit, stderrTail, errSplitter));
  }

  private accept(lines: Buffer[], group: ProcessGroup): void {
    if (lines.length === 0) return;
    // Pipe chunks are never reused by Node, so the lines may stay views into them.
    for (const line of lines) {
      this.pending.push({ headers: createHeaders(), body: line });
      if (this.pending.length >= this.batchSize && this.running) this.enqueue(this.takePending(), group);
    }
    if (!this.running) return; // stop() delivers what is pending
    if (this.pending.length > 0 && this.flushTimer === undefined && this.running) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        if (this.pending.length > 0) this.enqueue(this.takePending(), group);
      }, this.batchTimeoutMs);
    }
  }

  private takePending(): SluiceEvent[] {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    return batch;
  }

  /** Queues a batch; the pipe is not read until every queued batch is committed. */
  private enqueue(batch: SluiceEvent[], group: ProcessGroup): void {
    if (this.inFlight++ === 0) group.stdout.pause();
    this.chain = this.chain.then(() => this.deliverWithRetry(batch)).finally(() => {
      if (--this.inFlight === 0 && this.running && !group.stdout.destroyed) group.stdout.resume();
    });
  }

  private async deliverWithRetry(batch: SluiceEvent[]): Promise<void> {
    // Short and capped: the channel usually frees up within a sink batch, and the pipe waits meanwhile.
    const backoff = new Backoff(20, 1000);
    while (this.running) {
      try {
        await this.ctx.deliver(batch);
        return;
      } catch (error) {
        if (!isRetriable(error)) {
          this.dropped(batch, error, 'refused for a reason retrying cannot fix');
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoff.next());
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeRetry = undefined;
      }
    }
    // Stopping: one last attempt, so a channel that just freed up still gets the batch.
    await this.deliver(batch);
  }

  private async deliver(batch: SluiceEvent[]): Promise<void> {
    try {
      await this.ctx.deliver(batch);
    } catch (error) {
      this.dropped(batch, error, 'not committed before the source stopped');
    }
  }

  private dropped(batch: SluiceEvent[], error: unknown, why: string): void {
    this.ctx.metrics.inc('EventReadFail', batch.length);
    this.ctx.telemetry.emit('component.error', this.name, batch.length, 0, error);
    this.ctx.logger.error({ err: error, lines: batch.length }, `exec source: lines ${why}; they are lost`);
  }

  private ended(group: ProcessGroup, exit: GroupExit, stderrTail: string[], errSplitter: LineSplitter): void {
    const rest = errSplitter.flush();
    if (rest) stderrTail.push(rest.toString());
    if (this.group !== group || !this.running) return; // stop() ended it and delivers what is pending
    // Flush what the command wrote last, then clean up what it may have left in its group.
    if (this.pending.length > 0) this.enqueue(this.takePending(), group);
    void group.terminate(this.graceMs);
    const status = { command: this.config.command, pgid: group.pgid, exitCode: exit.code, signal: exit.signal, stderr: stderrTail };
    if (exit.error) {
      this.ctx.metrics.inc('CommandFailedCount');
      this.ctx.logger.error({ ...status, err: exit.error }, 'exec source could not run the command; check the command and the shell');
    } else if (exit.code === 0) {
      this.ctx.logger.info(status, 'exec command exited');
    } else {
      this.ctx.metrics.inc('CommandFailedCount');
      this.ctx.logger.warn(status, 'exec command exited with an error');
    }
    if (!this.config.restart) return;
    this.ctx.logger.info({ command: this.config.command, inMs: this.restartThrottleMs }, 'exec source restarts the command');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.ctx.metrics.inc('CommandRestartCount');
      this.launch();
    }, this.restartThrottleMs);
  }
}
