import type { Status } from './component.js';
import type { SinkContext } from './context.js';
import { errorCode, isRetriable } from './errors.js';
import { batchBytes, type SluiceEvent } from './event.js';
import type { Sink } from './sink.js';
import { moveToDeadLetter } from './dead-letter.js';
import { takeSinkBatch } from './take-batch.js';

/**
 * The sink template: take up to `batchSize` events in one transaction, `write` them, commit.
 * If `write` rejects, the transaction rolls back (the events return to the head of the channel)
 * and `process` rejects so the runner backs off. Subclasses implement `write` (and optionally
 * `onStart`/`onStop`) and get Flume's sink counters and telemetry for free.
 *
 * Dead letters: when the context has a `deadLetter` target and `write` rejects with a
 * non-retriable error (`retriable: false`, e.g. SLUICE_EVENT_REJECTED) `after` times in a row, the
 * batch is committed to the dead-letter channel (headers `sluice.deadletter.sink`,
 * `sluice.deadletter.code`, `sluice.deadletter.reason` added to copies of the events) and then
 * removed from the drained channel, counted as EventDeadLetterCount. If the dead-letter commit
 * fails, the batch rolls back as usual. Retriable failures never dead-letter and reset the count.
 *
 * Guarantee given to subclasses: `write` is never called concurrently, and events are removed
 * from the channel only after `write` resolved. A subclass must resolve `write` only once the
 * destination holds the events as durably as it documents.
 */
export abstract class BatchSink implements Sink {
  readonly name: string;
  private started = false;
  private rejectedInARow = 0;

  constructor(protected readonly ctx: SinkContext, protected readonly batchSize: number) {
    this.name = ctx.name;
  }

  /** Delivers one non-empty batch to the destination. */
  protected abstract write(events: SluiceEvent[]): Promise<void>;
  protected async onStart(): Promise<void> {}
  protected async onStop(): Promise<void> {}

  async start(): Promise<void> {
    if (this.started) return;
    await this.onStart();
    this.started = true;
    this.ctx.metrics.startTime = Date.now();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    try {
      await this.onStop();
    } finally {
      this.ctx.metrics.stopTime = Date.now();
    }
  }

  async process(): Promise<Status> {
    const { metrics } = this.ctx;
    const tx = this.ctx.channel.transaction();
    const events = await takeSinkBatch(this.ctx, tx, this.batchSize);
    if (!events) return 'backoff';
    try {
      await this.write(events);
    } catch (error) {
      metrics.counters.EventWriteFail! += 1;
      if (await this.deadLetter(events, error)) {
        await tx.commit();
        return 'ready';
      }
      await tx.rollback();
      throw error;
    }
    this.rejectedInARow = 0;
    await tx.commit();
    metrics.counters.EventDrainSuccessCount! += events.length;
    const { telemetry } = this.ctx;
    if (telemetry.observed) telemetry.emit('sink.events_sent', this.name, events.length, batchBytes(events));
    return 'ready';
  }

  /** Moves `events` to the dead-letter channel when the policy says so; true when it did. */
  private async deadLetter(events: SluiceEvent[], error: unknown): Promise<boolean> {
    const target = this.ctx.deadLetter;
    if (!target) return false;
    if (isRetriable(error)) {
      this.rejectedInARow = 0;
      return false;
    }
    this.rejectedInARow++;
    if (this.rejectedInARow < target.after) return false;
    if (!await moveToDeadLetter(target, this.name, events, error, this.ctx.logger)) return false;
    this.rejectedInARow = 0;
    this.ctx.metrics.counters.EventDeadLetterCount! += events.length;
    this.ctx.logger.warn({ count: events.length, deadLetterChannel: target.name, code: errorCode(error) ?? 'unknown', err: error }, 'moved rejected events to the dead-letter channel');
    return true;
  }
}
