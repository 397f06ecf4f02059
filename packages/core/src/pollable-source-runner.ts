import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Backoff } from './backoff.js';
import { errorCode, isRetriable } from './errors.js';
import type { Logger } from './logger.js';
import { Sleeper } from './sleeper.js';
import type { PollableSource } from './source.js';
import type { Telemetry } from './telemetry.js';

/** Tuning for a {@link PollableSourceRunner}; defaults follow Flume (1 s steps, 5 s cap). */
export interface PollableSourceRunnerOptions {
  logger: Logger;
  telemetry?: Telemetry;
  backoffIncrementMs?: number;
  maxBackoffMs?: number;
  errorBackoffMs?: number;
}

/**
 * Drives a pollable source: `poll()` back to back while it returns `ready`; after `backoff`, sleeps
 * min(n × increment, max); after a rejection (a full channel, a read error), capped exponential
 * backoff from errorBackoffMs. `stop` waits for the poll in progress.
 */
export class PollableSourceRunner {
  private readonly sleeper = new Sleeper();
  private readonly errorBackoff: Backoff;
  private loopDone: Promise<void> | undefined;
  private stopRequested = false;

  constructor(private readonly source: PollableSource, private readonly options: PollableSourceRunnerOptions) {
    this.errorBackoff = new Backoff(options.errorBackoffMs ?? 100, options.maxBackoffMs ?? 5000);
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.sleeper.wake();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const increment = this.options.backoffIncrementMs ?? 1000;
    const maxBackoff = this.options.maxBackoffMs ?? 5000;
    let emptyStreak = 0;
    while (!this.stopRequested) {
      let status;
      try {
        status = await this.source.poll();
        this.errorBackoff.reset();
      } catch (error) {
        const delay = this.errorBackoff.next();
        const full = errorCode(error) === 'SLUICE_CHANNEL_FULL';
        const level = full || this.errorBackoff.failures > 3 ? 'debug' : 'warn';
        this.options.logger[level]({ err: error, code: errorCode(error), retriable: isRetriable(error), retryInMs: delay }, 'source poll failed; retrying');
        this.options.telemetry?.emit('component.error', this.source.name, 0, 0, error);
        if (!this.stopRequested) await this.sleeper.sleep(delay);
        continue;
      }
      if (status === 'ready') {
        emptyStreak = 0;
        await yieldToEventLoop();
        continue;
      }
      emptyStreak++;
      await this.sleeper.sleep(Math.min(emptyStreak * increment, maxBackoff));
    }
  }
}
