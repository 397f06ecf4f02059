import type { Status } from './component.js';
import type { SinkContext } from './context.js';
import { batchBytes, type SluiceEvent } from './event.js';
import type { Sink } from './sink.js';

/**
 * The sink template: take up to `batchSize` events in one transaction, `write` them, commit.
 * If `write` rejects, the transaction rolls back (the events return to the head of the channel)
 * and `process` rejects so the runner backs off. Subclasses implement `write` (and optionally
 * `onStart`/`onStop`) and get Flume's sink counters and telemetry for free.
 *
 * Guarantee given to subclasses: `write` is never called concurrently, and events are removed
 * from the channel only after `write` resolved. A subclass must resolve `write` only once the
 * destination holds the events as durably as it documents.
 */
export abstract class BatchSink implements Sink {
  readonly name: string;
  private started = false;

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
    let events: SluiceEvent[];
    try {
      events = await tx.take(this.batchSize);
    } catch (error) {
      metrics.counters.ChannelReadFail! += 1;
      await tx.rollback().catch(() => undefined);
      throw error;
    }
    if (events.length === 0) {
      await tx.commit();
      metrics.counters.BatchEmptyCount! += 1;
      return 'backoff';
    }
    if (events.length < this.batchSize) metrics.counters.BatchUnderflowCount! += 1;
    else metrics.counters.BatchCompleteCount! += 1;
    metrics.counters.EventDrainAttemptCount! += events.length;
    try {
      await this.write(events);
    } catch (error) {
      metrics.counters.EventWriteFail! += 1;
      await tx.rollback();
      throw error;
    }
    await tx.commit();
    metrics.counters.EventDrainSuccessCount! += events.length;
    const { telemetry } = this.ctx;
    if (telemetry.observed) telemetry.emit('sink.events_sent', this.name, events.length, batchBytes(events));
    return 'ready';
  }
}
