/**
 * Kafka errors that reject the records themselves, so producing the same batch again cannot
 * succeed (and a dead-letter channel, when configured, takes it). Every other failure, including
 * authorization and unknown topics, is retried: an operator can fix those without losing events.
 */
export const RECORD_REJECTIONS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP', 'INVALID_REQUIRED_ACKS']);

/** The Kafka error type that rejected the records, searching kafkajs's wrapped causes; undefined if none. */
export function rejectionOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string' && RECORD_REJECTIONS.has(type)) return type;
    current = (current as { originalError?: unknown; cause?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
  }
  return undefined;
}
