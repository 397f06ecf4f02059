import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Backoff } from './backoff.js';
import type { Channel } from './channel.js';
import { errorCode, isRetriable } from './errors.js';
import type { Logger } from './logger.js';
import type { SinkProcessor } from './sink-processor.js';
import { Sleeper } from './sleeper.js';
import type { Telemetry } from './telemetry.js';
import { drainThenStop } from './drain-then-stop.js';

/** How long a sink runner drains a filling channel batch after batch before it yields to the event loop (ms). */
const SINK_SLICE_MS = 5;

/** Tuning for a {@link SinkRunner}; the defaults follow Flume (1 s steps, 5 s cap). */
export interface SinkRunnerOptions {
  logger: Logger;
  telemetry?: Telemetry;
  /** The channels the processor's sinks drain; an empty channel wakes the runner on new data. */
  channels?: readonly Channel[];
  /** Backoff step while the channel is empty (ms). */
  backoffIncrementMs?: number;
  /** Longest sleep while empty or after errors (ms). */
  maxBackoffMs?: number;
  /** First sleep after an error (ms), doubled up to maxBackoffMs. */
  errorBackoffMs?: number;
  /**
   * Monotonic clock in ms that times the 5 ms drain slice; `performance.now` unless given (tests
   * pass their own to count batches per slice without depending on the machine's speed).
   */
  now?: () => number;
}

/**
 * Drives one sink processor: calls `process()` while it returns `ready` (back to back for up to
 * 5 ms while a channel it drains is more than half full, otherwise yielding to the event loop
 * after each batch, so sources and timers keep being served), sleeps with
 * growing backoff while it returns `backoff` (woken early when a channel gets data), and sleeps
 * with capped exponential backoff after a failure. Failures never stop the loop: the sink has
 * rolled back, so the batch is retried.
 *
 * `stop(drainMs)` first drains: it keeps calling `process()` until a call finds nothing to do or
 * `drainMs` passes, then waits for the call in progress and stops.
 */
export class SinkRunner {
  private readonly sleeper = new Sleeper();
  private readonly errorBackoff: Backoff;
  private readonly unsubscribe: (() => void)[] = [];
  private loopDone: Promise<void> | undefined;
  private stopRequested = false;
  private draining = false;

  constructor(private readonly processor: SinkProcessor, private readonly options: SinkRunnerOptions) {
    this.errorBackoff = new Backoff(options.errorBackoffMs ?? 250, options.maxBackoffMs ?? 5000);
  }

  start(): void {
    if (this.loopDone) return;
    for (const channel of this.options.channels ?? []) {
      const off = channel.onReadable?.(() => this.sleeper.wake());
      if (off) this.unsubscribe.push(off);
    }
    this.loopDone = this.loop();
  }

  /** Drains for up to `drainMs`, then stops the loop. Resolves when no `process()` call is running. */
  async stop(drainMs = 0): Promise<void> {
    if (!this.loopDone) return;
    this.draining = true;
    await drainThenStop(this.loopDone, drainMs, () => this.sleeper.wake(), () => { this.stopRequested = true; });
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** True when a drained channel is more than half full (one without a size or an event limit never is). */
  private fillingUp(): boolean {
    const channels = this.options.channels;
    if (!channels) return false;
    for (let i = 0; i < channels.length; i++) {
      const { size, capacity } = channels[i]!;
      if (size !== undefined && capacity !== undefined && capacity > 0 && size * 2 > capacity) return true;
    }
    return false;
  }

  private async loop(): Promise<void> {
    const { logger } = this.options;
    const increment = this.options.backoffIncrementMs ?? 1000;
    const maxBackoff = this.options.maxBackoffMs ?? 5000;
    const now = this.options.now ?? (() => performance.now());
    let emptyStreak = 0;
    let sliceStart = now();
    while (!this.stopRequested) {
      let status;
      try {
        status = await this.processor.process();
        this.errorBackoff.reset();
      } catch (error) {
        const delay = this.errorBackoff.next();
        const level = this.errorBackoff.failures > 3 && this.errorBackoff.failures % 20 !== 0 ? 'debug' : 'warn';
        logger[level]({ err: error, code: errorCode(error), retriable: isRetriable(error), retryInMs: delay }, 'sink failed to deliver a batch; it stays in the channel and will be retried');
        this.options.telemetry?.emit('component.error', this.processor.name, 0, 0, error);
        if (!this.stopRequested) await this.sleeper.sleep(delay);
        continue;
      }
      if (status === 'ready') {
        emptyStreak = 0;
        // While a channel is more than half full, batch after batch for a short slice; otherwise
        // (and after the slice) let the event loop serve I/O and timers first. Yielding after every
        // batch let a source reading several sockets per turn outpace the sink: the channel sat
        // full, the source waited for room, and each young-generation GC copied every event held.
        if (this.fillingUp() && now() - sliceStart < SINK_SLICE_MS) continue;
        await yieldToEventLoop();
        sliceStart = now();
        continue;
      }
      if (this.draining) return;
      emptyStreak++;
      await this.sleeper.sleep(Math.min(emptyStreak * increment, maxBackoff));
      sliceStart = now();
    }
  }
}
