import type { DeadLetterTarget } from './context.js';
import { errorCode } from './errors.js';
import type { SluiceEvent } from './event.js';
import type { Logger } from './logger.js';

/**
 * Commits copies of `events` to the dead-letter channel, each with the headers
 * `sluice.deadletter.sink`, `sluice.deadletter.code` and `sluice.deadletter.reason` (from `error`).
 * Called by BatchSink for a rejected batch, and by sinks that reject single events of a batch
 * (an item a bulk API refused, a record over a size limit) while the rest moves on. Resolves true
 * once they are committed there; false (after logging) when the dead-letter channel refused them,
 * and the caller must then keep the events (roll back). Counting them is the caller's job.
 */
export async function moveToDeadLetter(target: DeadLetterTarget, sink: string, events: readonly SluiceEvent[], error: unknown, logger: Logger): Promise<boolean> {
  const reason = error instanceof Error ? error.message : String(error);
  const code = errorCode(error) ?? 'unknown';
  const copies = events.map((e) => ({ headers: { ...e.headers, 'sluice.deadletter.sink': sink, 'sluice.deadletter.code': code, 'sluice.deadletter.reason': reason }, body: e.body }));
  const tx = target.channel.transaction();
  try {
    tx.put(copies);
    await tx.commit();
    return true;
  } catch (dlError) {
    await tx.rollback().catch(() => undefined);
    logger.error({ err: dlError, deadLetterChannel: target.name }, 'could not move rejected events to the dead-letter channel; they stay in the channel');
    return false;
  }
}
