import { errorCode, type DeadLetterTarget, type Logger, type SluiceEvent } from '@sluice/core';

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
