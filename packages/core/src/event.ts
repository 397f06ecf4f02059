/**
 * The unit that flows through an agent: string headers plus an opaque body.
 * Components must not mutate an event after handing it to a channel; interceptors may mutate
 * the events of the batch they were given (each event owns its headers object).
 */
export interface SluiceEvent {
  headers: Record<string, string>;
  body: Buffer;
}

/** Creates an event; a string body is encoded as UTF-8. */
export function createEvent(body: Buffer | string, headers: Record<string, string> = {}): SluiceEvent {
  return { headers, body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body };
}

/** Sum of body lengths of a batch, the byte figure used by metrics and byteCapacity. */
export function batchBytes(events: readonly SluiceEvent[]): number {
  let bytes = 0;
  for (let i = 0; i < events.length; i++) bytes += events[i]!.body.length;
  return bytes;
}
