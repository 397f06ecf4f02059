import { errorCode, SluiceError, type DeadLetterTarget, type Logger, type SinkContext, type SluiceEvent } from '@sluice/core';

/**
 * Commits copies of `events` to the dead-letter channel with the headers BatchSink uses
 * (`sluice.deadletter.sink`, `.code`, `.reason`). Resolves true when they are committed there,
 * false (after logging) when the dead-letter channel refused them, so the caller rolls back.
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

/**
 * For a sink that delivered the rest of a batch: moves the `rejected` events (ones the destination
 * can never accept, such as oversize records) to the dead-letter channel and counts them. Throws a
 * retriable SLUICE_DELIVERY_FAILED when the dead-letter channel refuses them, so the batch rolls
 * back instead of losing them. The caller checked that `ctx.deadLetter` is set.
 */
export async function deadLetterRejected(ctx: SinkContext, rejected: readonly SluiceEvent[], error: SluiceError): Promise<void> {
  const target = ctx.deadLetter!;
  if (!(await moveToDeadLetter(target, ctx.name, rejected, error, ctx.logger))) {
    throw new SluiceError('SLUICE_DELIVERY_FAILED', `sink '${ctx.name}': the dead-letter channel '${target.name}' refused ${rejected.length} rejected event(s); the batch is retried`, { cause: error });
  }
  ctx.metrics.inc('EventDeadLetterCount', rejected.length);
  ctx.logger.warn({ count: rejected.length, deadLetterChannel: target.name, err: error }, 'moved events the destination can never accept to the dead-letter channel');
}
