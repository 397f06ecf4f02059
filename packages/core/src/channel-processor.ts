import type { Logger } from './logger.js';
import { batchBytes, createHeaders, isHeaderMap, type SluiceEvent } from './event.js';
import type { Interceptor } from './interceptor.js';
import { boundRegexBacktracking } from './components/interceptors/regex-hazard.js';
import type { MetricGroup } from './metrics.js';
import type { ChannelBatch, ChannelSelector } from './selector.js';
import type { Telemetry } from './telemetry.js';

/** What a ChannelProcessor needs: the source's interceptors, selector, counters and telemetry. */
export interface ChannelProcessorOptions {
  source: string;
  interceptors: readonly Interceptor[];
  selector: ChannelSelector;
  metrics: MetricGroup;
  telemetry: Telemetry;
  logger: Logger;
}

/**
 * The source path: interceptors, then the selector, then one transaction per channel. Every
 * source context's `deliver` is bound to one processor.
 *
 * Guarantee: `deliver` resolves only after every required channel committed its events, and
 * rejects (with the first channel's error) otherwise. Required channels commit concurrently, so
 * when one fails the others may already hold the batch: a retry duplicates there, as in Flume
 * (at-least-once). Optional channels are tried after the required ones; their failures are logged
 * and counted, never propagated.
 */
export class ChannelProcessor {
  constructor(private readonly options: ChannelProcessorOptions) {
    // An interceptor's pattern must not backtrack for minutes on one event and stall the source.
    if (options.interceptors.length > 0) boundRegexBacktracking();
  }

  async deliver(batch: SluiceEvent[]): Promise<void> {
    const { metrics, telemetry, interceptors } = this.options;
    const received = batch.length;
    metrics.counters.EventReceivedCount! += received;
    metrics.counters.AppendBatchReceivedCount! += 1;
    let events = batch;
    if (interceptors.length > 0) headerMapsFor(events);
    for (let i = 0; i < interceptors.length && events.length > 0; i++) events = interceptors[i]!.intercept(events);
    if (events.length > 0) {
      const routing = this.options.selector.route(events);
      try {
        if (routing.required.length === 1) await commitTo(routing.required[0]!);
        else if (routing.required.length > 1) await commitAll(routing.required);
      } catch (error) {
        metrics.counters.ChannelWriteFail! += 1;
        throw error;
      }
      if (routing.optional.length > 0) await this.commitOptional(routing.optional);
    }
    metrics.counters.EventAcceptedCount! += received;
    metrics.counters.AppendBatchAcceptedCount! += 1;
    if (telemetry.observed) telemetry.emit('source.events_received', this.options.source, received, batchBytes(batch));
  }

  private async commitOptional(batches: ChannelBatch[]): Promise<void> {
    const results = await Promise.allSettled(batches.map(commitTo));
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        this.options.metrics.inc('OptionalChannelWriteFail');
        this.options.logger.warn({ channel: batches[i]!.name, err: result.reason }, 'optional channel refused a batch; skipped');
      }
    });
  }
}

/**
 * Gives each event a header map that inherits nothing ({@link createHeaders}) before interceptors
 * set headers whose names come from configuration or from event content (`__proto__` stays a
 * header, `constructor` is absent until set). Sources that build their headers as header maps
 * ({@link isHeaderMap}) cost one prototype check per event here.
 */
function headerMapsFor(events: SluiceEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (!isHeaderMap(event.headers)) event.headers = createHeaders(event.headers);
  }
}

async function commitTo(target: ChannelBatch): Promise<void> {
  const tx = target.channel.transaction();
  try {
    tx.put(target.events);
    await tx.commit();
  } catch (error) {
    await tx.rollback().catch(() => undefined);
    throw error;
  }
}

async function commitAll(targets: ChannelBatch[]): Promise<void> {
  const results = await Promise.allSettled(targets.map(commitTo));
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}
