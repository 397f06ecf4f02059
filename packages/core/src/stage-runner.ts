import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Backoff } from './backoff.js';
import type { Channel, Transaction } from './channel.js';
import { errorCode, isRetriable } from './errors.js';
import type { SluiceEvent } from './event.js';
import type { Logger } from './logger.js';
import type { MetricGroup } from './metrics.js';
import { Sleeper } from './sleeper.js';
import type { Stage } from './stage.js';
import type { Telemetry } from './telemetry.js';
import { drainThenStop } from './drain-then-stop.js';

/** Options for a {@link StageRunner}. */
export interface StageRunnerOptions {
  /** The stage's name, for logs and telemetry. */
  name: string;
  /** The input channel the runner takes from. */
  channel: Channel;
  logger: Logger;
  telemetry?: Telemetry;
  /** The stage's metric group; the runner counts EventTakeSuccessCount. */
  metrics?: MetricGroup;
  /** Most events per take (the input channel's transactionCapacity must allow it). */
  batchSize: number;
  /** How often `advance` runs while the input is idle (ms). */
  tickMs: number;
  /** Epoch ms; tests inject their own. */
  clock?: () => number;
  /** First sleep after an error (ms), doubled up to maxBackoffMs. */
  errorBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Drives one {@link Stage} (the agent creates one per stage in the topology): take a batch from
 * the input channel, `prepare` it, commit the take, `commit` the stage, then `advance`; while the
 * input is empty it calls `advance` every `tickMs` (woken early when the channel gets data). If
 * `prepare` fails the take rolls back; if the take's commit fails the stage rolls back too, so
 * the stage and the channel agree on who holds each event. Failures never stop the loop: they are
 * logged and retried after a capped exponential backoff.
 *
 * `stop(drainMs)` keeps taking until the input is empty or `drainMs` passes, then waits for the
 * call in progress; the agent stops the stage itself afterwards.
 */
export class StageRunner {
  private readonly sleeper = new Sleeper();
  private readonly errorBackoff: Backoff;
  private readonly clock: () => number;
  private unsubscribe: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private stopRequested = false;
  private draining = false;

  constructor(private readonly stage: Stage, private readonly options: StageRunnerOptions) {
    this.errorBackoff = new Backoff(options.errorBackoffMs ?? 250, options.maxBackoffMs ?? 5000);
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.loopDone) return;
    this.unsubscribe = this.options.channel.onReadable?.(() => this.sleeper.wake());
    this.loopDone = this.loop();
  }

  /** Drains the input for up to `drainMs`, then stops the loop. Resolves when no call is running. */
  async stop(drainMs = 0): Promise<void> {
    if (!this.loopDone) return;
    this.draining = true;
    await drainThenStop(this.loopDone, drainMs, () => this.sleeper.wake(), () => { this.stopRequested = true; });
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** One take-prepare-commit-advance step; resolves to the number of events taken. */
  async step(): Promise<number> {
    const tx = this.options.channel.transaction();
    let events: SluiceEvent[];
    try {
      events = await tx.take(this.options.batchSize);
    } catch (error) {
      await tx.rollback().catch(() => undefined);
      throw error;
    }
    if (events.length === 0) {
      await tx.commit();
    } else {
      await this.handOver(tx, events);
    }
    await this.stage.advance(this.clock());
    return events.length;
  }

  private async handOver(tx: Transaction, events: SluiceEvent[]): Promise<void> {
    try {
      await this.stage.prepare(events);
    } catch (error) {
      await tx.rollback().catch((err: unknown) => this.options.logger.error({ err }, 'rollback of the input take failed'));
      throw error;
    }
    try {
      await tx.commit();
    } catch (error) {
      await tx.rollback().catch(() => undefined);
      await this.stage.rollback();
      throw error;
    }
    await this.stage.commit();
    this.options.metrics?.inc('EventTakeSuccessCount', events.length);
  }

  private async loop(): Promise<void> {
    const { logger } = this.options;
    while (!this.stopRequested) {
      let taken: number;
      try {
        taken = await this.step();
        this.errorBackoff.reset();
      } catch (error) {
        const delay = this.errorBackoff.next();
        const level = this.errorBackoff.failures > 3 && this.errorBackoff.failures % 20 !== 0 ? 'debug' : 'warn';
        logger[level]({ err: error, code: errorCode(error), retriable: isRetriable(error), retryInMs: delay }, 'stage step failed; its input stays in the channel and the step is retried');
        this.options.telemetry?.emit('component.error', this.options.name, 0, 0, error);
        if (!this.stopRequested) await this.sleeper.sleep(delay);
        continue;
      }
      if (taken > 0) {
        await yieldToEventLoop();
        continue;
      }
      if (this.draining) return;
      await this.sleeper.sleep(this.options.tickMs);
    }
  }
}
