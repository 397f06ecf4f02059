import type { Transaction } from './channel.js';
import type { SinkContext } from './context.js';
import type { SluiceEvent } from './event.js';

/**
 * The start of every sink's `process`: takes up to `batchSize` events in `tx` and keeps Flume's
 * sink counters (ChannelReadFail, BatchEmptyCount, BatchUnderflowCount, BatchCompleteCount,
 * EventDrainAttemptCount). A failed take rolls `tx` back and rethrows; an empty take commits `tx`
 * and resolves `undefined` (the sink then answers 'backoff'). Otherwise `tx` stays open with the
 * events taken, for the caller to commit or roll back. Used by {@link BatchSink} and by sinks that
 * write their own `process` (s3, sqs).
 */
export async function takeSinkBatch(ctx: SinkContext, tx: Transaction, batchSize: number): Promise<SluiceEvent[] | undefined> {
  const { counters } = ctx.metrics;
  let events: SluiceEvent[];
  try {
    events = await tx.take(batchSize);
  } catch (error) {
    counters.ChannelReadFail! += 1;
    await tx.rollback().catch(() => undefined);
    throw error;
  }
  if (events.length === 0) {
    await tx.commit();
    counters.BatchEmptyCount! += 1;
    return undefined;
  }
  if (events.length < batchSize) counters.BatchUnderflowCount! += 1;
  else counters.BatchCompleteCount! += 1;
  counters.EventDrainAttemptCount! += events.length;
  return events;
}
