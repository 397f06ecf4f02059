/**
 * The unit that flows through an agent: string headers plus an opaque body.
 * Components must not mutate an event after handing it to a channel; interceptors may mutate
 * the events of the batch they were given (each event owns its headers object).
 */
export interface SluiceEvent {
  /** Header names to values; best a header map that inherits nothing ({@link createHeaders}). */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The prototype of every header map {@link createHeaders} makes: an empty, frozen object with no
 * prototype of its own, so nothing is ever inherited. Every name is an ordinary key in a header
 * map: a header called `__proto__` is stored like any other (on a plain object it would silently
 * set the prototype and vanish), and a lookup of an absent `constructor` or `toString` is
 * undefined rather than an inherited function.
 *
 * For plugin authors whose source builds headers of a fixed shape on a hot path: give your own
 * constructor this prototype (`MyHeaders.prototype = HEADER_MAP_PROTOTYPE`) and its instances are
 * header maps too ({@link isHeaderMap}), laid out by V8 like object literals.
 */
export const HEADER_MAP_PROTOTYPE: object = Object.freeze(Object.create(null) as object);

/**
 * Instances keep V8's fast property layout (hidden classes shared by maps with the same names in
 * the same order), which `Object.create(null)` loses: it makes a hash-table dictionary, about 10x
 * the CPU to build, fill and iterate for a few headers, and half again the memory.
 */
const HeaderMap = function HeaderMap() {} as unknown as new () => Record<string, string>;
HeaderMap.prototype = HEADER_MAP_PROTOTYPE;

/**
 * A header map ({@link HEADER_MAP_PROTOTYPE}) holding the own enumerable string-keyed entries of
 * `from`. Sources and interceptors create headers with it; the ChannelProcessor gives every event
 * such a map before the interceptors run.
 */
export function createHeaders(from?: Readonly<Record<string, string>>): Record<string, string> {
  const headers = new HeaderMap();
  if (from) {
    const keys = Object.keys(from);
    for (let i = 0; i < keys.length; i++) headers[keys[i]!] = from[keys[i]!]!;
  }
  return headers;
}

/**
 * True when `headers` inherits nothing: a map from {@link createHeaders} (or another constructor
 * with {@link HEADER_MAP_PROTOTYPE}), or an object without a prototype (`Object.create(null)`).
 */
export function isHeaderMap(headers: object): boolean {
  const prototype = Object.getPrototypeOf(headers) as unknown;
  return prototype === HEADER_MAP_PROTOTYPE || prototype === null;
}

/**
 * Creates an event; a string body is encoded as UTF-8. Its headers are a header map
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
