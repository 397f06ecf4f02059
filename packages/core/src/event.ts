/**
 * The unit that flows through an agent: string headers plus an opaque body.
 * Components must not mutate an event after handing it to a channel; interceptors may mutate
 * the events of the batch they were given (each event owns its headers object).
 */
export interface SluiceEvent {
  /** Header names to values; best a prototype-free map ({@link createHeaders}). */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * A header map without a prototype, holding the own enumerable string-keyed entries of `from`.
 * Every name is an ordinary key in it: a header called `__proto__` is stored like any other
 * (on a plain object it would silently set the prototype and vanish), and a lookup of an absent
 * `constructor` or `toString` is undefined rather than an inherited function. Sources and
 * interceptors create headers with it; the ChannelProcessor gives every event such a map before
 * the interceptors run.
 */
export function createHeaders(from?: Readonly<Record<string, string>>): Record<string, string> {
  const headers = Object.create(null) as Record<string, string>;
  if (from) {
    const keys = Object.keys(from);
    for (let i = 0; i < keys.length; i++) headers[keys[i]!] = from[keys[i]!]!;
  }
  return headers;
}

/** True when `headers` is a map from {@link createHeaders} (no prototype). */
export function isHeaderMap(headers: object): boolean {
  return Object.getPrototypeOf(headers) === null;
}

/**
 * Creates an event; a string body is encoded as UTF-8. Its headers are a prototype-free map
 * ({@link createHeaders}): `headers` itself when it already is one, else a copy.
 */
export function createEvent(body: Buffer | string, headers?: Record<string, string>): SluiceEvent {
  return {
    headers: headers && isHeaderMap(headers) ? headers : createHeaders(headers),
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}

/** Sum of body lengths of a batch, the byte figure used by metrics and byteCapacity. */
export function batchBytes(events: readonly SluiceEvent[]): number {
  let bytes = 0;
  for (let i = 0; i < events.length; i++) bytes += events[i]!.body.length;
  return bytes;
}
