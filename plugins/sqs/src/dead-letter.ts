import type { DeadLetterTarget, Logger, SluiceEvent } from '@sluice/core';

/** An event the destination refused for good, with why. */
export interface RejectedEvent {
  event: SluiceEvent;
  code: string;
  reason: string;
}

/**
 * Commits copies of rejected events to the dead-letter channel with the headers BatchSink uses
 * (`sluice.deadletter.sink`, `.code`, `.reason`), each with its own reason. Resolves true when
 * they are committed there, false (after logging) when the dead-letter channel refused them, so
 * the caller rolls back and nothing is lost.
 */
export async function moveToDeadLetter(target: DeadLetterTarget, sink: string, rejected: readonly RejectedEvent[], logger: Logger): Promise<boolean> {
  const copies = rejected.map(({ event, code, reason }) => ({
    headers: { ...event.headers, 'sluice.deadletter.sink': sink, 'sluice.deadletter.code': code, 'sluice.deadletter.reason': reason },
    body: event.body,
  }));
  const tx = target.channel.transaction();
  try {
    tx.put(copies);
    await tx.commit();
    return true;
  } catch (error) {
    await tx.rollback().catch(() => undefined);
    logger.error({ err: error, deadLetterChannel: target.name }, 'could not move rejected events to the dead-letter channel; they stay in the channel');
    return false;
  }
}
