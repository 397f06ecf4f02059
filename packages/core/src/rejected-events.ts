import type { SinkContext } from './context.js';
import { moveToDeadLetter } from './dead-letter.js';
import { errorCode } from './errors.js';
import type { SluiceEvent } from './event.js';

/** An event a sink cannot deliver because of its own content, and why. */
export interface RejectedEvent {
  event: SluiceEvent;
  /** Usually a non-retriable SLUICE_EVENT_REJECTED naming what is wrong with the event. */
  error: unknown;
}

/**
 * Sets aside the events of a batch that can never be delivered because of their content (a
 * timestamp header no date can hold, a document the destination refuses), so the rest of the
 * batch moves on and one poison event never stalls a sink. Called by sinks, after the rest of
 * the batch was delivered: each event goes to the sink's dead-letter channel when it has one
 * (headers `sluice.deadletter.*`, counted as EventDeadLetterCount), otherwise it is dropped with
 * a warning and counted as EventRejectedCount. Resolves false when the dead-letter channel
 * refused them: the caller must then fail the batch with a retriable error (roll back).
 */
export async function setAsideRejected(ctx: SinkContext, rejected: readonly RejectedEvent[]): Promise<boolean> {
  if (rejected.length === 0) return true;
  const { counters } = ctx.metrics;
  const first = rejected[0]!.error;
  const reason = first instanceof Error ? first.message : String(first);
  const target = ctx.deadLetter;
  if (target) {
    for (const { event, error } of rejected) {
      if (!await moveToDeadLetter(target, ctx.name, [event], error, ctx.logger)) return false;
    }
    counters.EventDeadLetterCount = (counters.EventDeadLetterCount ?? 0) + rejected.length;
    ctx.logger.warn({ count: rejected.length, deadLetterChannel: target.name, code: errorCode(first), reason }, 'moved events the sink cannot deliver to the dead-letter channel');
    return true;
  }
  counters.EventRejectedCount = (counters.EventRejectedCount ?? 0) + rejected.length;
  ctx.logger.warn({ count: rejected.length, code: errorCode(first), reason }, 'dropped events the sink cannot deliver (configure deadLetter on the sink to keep them)');
  return true;
}
