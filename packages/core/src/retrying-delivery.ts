import { Backoff } from './backoff.js';
import type { SourceContext } from './context.js';
import { errorCode, isRetriable } from './errors.js';
import { batchBytes, type SluiceEvent } from './event.js';

/**
 * Delivers a source's events in slices of `batchSize`, retrying a slice while the channel
 * refuses it with a retriable error (SLUICE_CHANNEL_FULL), with capped exponential backoff. For
 * sources whose protocol has no acknowledgement (syslog, UDP): retrying while the socket is
 * paused is how a full channel turns into TCP backpressure instead of loss. Used by every
 * connection of one source.
 *
 * Events are dropped (counted as `EventDroppedCount`, logged and reported as `component.error`) only when the error is not
 * retriable (a configuration problem such as SLUICE_TX_CAPACITY) or the source is stopping.
 */
export class RetryingDelivery {
  private stopping = false;
  private readonly sleeping = new Set<() => void>();

  constructor(private readonly ctx: SourceContext, private readonly batchSize: number) {}

  /** Resolves once every event was committed or dropped; never rejects. */
  async deliver(events: SluiceEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += this.batchSize) {
      const slice = i === 0 && events.length <= this.batchSize ? events : events.slice(i, i + this.batchSize);
      await this.deliverSlice(slice);
    }
  }

  /** Stops retrying: slices still refused are dropped from now on, and sleeping retries wake. */
  stop(): void {
    this.stopping = true;
    for (const wake of [...this.sleeping]) wake();
  }

  /** Allows retries again after a stop (the source was started again). */
  restart(): void {
    this.stopping = false;
  }

  private async deliverSlice(slice: SluiceEvent[]): Promise<void> {
    const backoff = new Backoff(10, 1000);
    for (;;) {
      try {
        await this.ctx.deliver(slice);
        return;
      } catch (error) {
        if (!isRetriable(error) || this.stopping) {
          this.ctx.metrics.inc('EventDroppedCount', slice.length);
          this.ctx.telemetry.emit('component.error', this.ctx.name, slice.length, batchBytes(slice), error);
          this.ctx.logger.error({ err: error, code: errorCode(error), events: slice.length, stopping: this.stopping }, 'events dropped: the channel refused them and retrying cannot help');
          return;
        }
        if (backoff.failures === 0) this.ctx.logger.debug({ code: errorCode(error) }, 'channel refused a batch; reading paused until it has room');
        await this.sleep(backoff.next());
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }
}
