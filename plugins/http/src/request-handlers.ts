import { createHeaders, type SluiceEvent } from '@sluice/core';
import { charsetOf, type Charset } from './charset.js';
import { jsonArrayItemSpans } from './json-array-items.js';
import { countJsonArrayItems } from './json-item-counter.js';
import { HttpStatusError } from './http-status-error.js';

/** How the HTTP source turns a request body into events. */
export type HandlerName = 'json' | 'ndjson' | 'blob';

/** What a handler sees of a request. */
export interface RequestBody {
  body: Buffer;
  contentType: string | undefined;
  /** Query parameters, used as headers by the blob handler. */
  query: URLSearchParams;
  /**
   * Most events the request may hold; counted before any event is built (413 past it). Undefined
   * when the source already counted the body's bytes as they arrived.
   */
  maxEvents?: number;
}

/**
 * Turns one request into events; throws (or rejects with) HttpStatusError (400, 413, 415) for a
 * body it cannot read. A handler given a big body returns a promise and parses it in slices, so no
 * request holds the event loop for more than a few milliseconds.
 */
export type RequestHandler = (request: RequestBody) => SluiceEvent[] | Promise<SluiceEvent[]>;

/** Bodies longer than this (in characters) are parsed in slices of this size, yielding to the event loop between them. */
export const PARSE_SLICE_CHARS = 256 * 1024;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const bad = (message: string): HttpStatusError => new HttpStatusError(400, 'BAD_REQUEST', message);

const tooMany = (limit: number): HttpStatusError => new HttpStatusError(413, 'TOO_MANY_EVENTS', `the request holds more than ${limit} events (maxEventsPerRequest); send smaller batches`);

/** The white space `String.prototype.trim` removes (so a line of only these is skipped, and not counted). */
function isTrimmed(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)
    || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Counts lines holding anything but white space (as trim() sees it), stopping past `limit`. */
function countNonBlankLines(text: string, limit: number): number {
  let count = 0;
  let blank = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      if (!blank && ++count > limit) return count;
      blank = true;
    } else if (blank && !isTrimmed(c)) {
      blank = false;
    }
  }
  return blank ? count : count + 1;
}

/**
 * Converts one `{headers, body}` item of Flume's JSON shape; errors name it as `${what} ${number}`
 * (built only then: nothing per event is spent on naming it).
 */
function flumeEvent(item: unknown, charset: Charset, what: 'event' | 'line', number: number): SluiceEvent {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw bad(`${what} ${number} must be an object like {"headers": {...}, "body": "..."}`);
  const { headers: rawHeaders, body } = item as { headers?: unknown; body?: unknown };
  // A header map: a header named __proto__ (or constructor) is a header like any other.
  const headers = createHeaders();
  if (rawHeaders !== undefined && rawHeaders !== null) {
    if (typeof rawHeaders !== 'object' || Array.isArray(rawHeaders)) throw bad(`${what} ${number}.headers must be an object of strings`);
    const keys = Object.keys(rawHeaders);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const value = (rawHeaders as Record<string, unknown>)[key];
      if (typeof value === 'string') headers[key] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') headers[key] = String(value);
      else throw bad(`${what} ${number}.headers.${key} must be a string`);
    }
  }
  if (body !== undefined && body !== null && typeof body !== 'string') throw bad(`${what} ${number}.body must be a string`);
  return { headers, body: typeof body === 'string' ? charset.encode(body) : Buffer.alloc(0) };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw bad(`${where} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Flume's JSONHandler: the body is a JSON array of `{headers, body}` (string values), decoded
 * with the Content-Type charset; each body is stored encoded in that same charset, as Flume does.
 */
export const jsonHandler: RequestHandler = ({ body, contentType, maxEvents }) => {
  const charset = charsetOf(contentType);
  const text = charset.decode(body);
  if (maxEvents !== undefined && countJsonArrayItems(text, maxEvents) > maxEvents) throw tooMany(maxEvents);
  if (text.length > PARSE_SLICE_CHARS) return parseArrayInSlices(text, charset);
  const parsed = parseJson(text, 'the request body');
  if (!Array.isArray(parsed)) throw bad('the request body must be a JSON array of events, e.g. [{"headers":{},"body":"text"}]');
  const events = new Array<SluiceEvent>(parsed.length);
  for (let i = 0; i < parsed.length; i++) events[i] = flumeEvent(parsed[i], charset, 'event', i);
  return events;
};

/** The json handler's path for a big body: item by item, yielding after every PARSE_SLICE_CHARS characters. */
async function parseArrayInSlices(text: string, charset: Charset): Promise<SluiceEvent[]> {
  const events: SluiceEvent[] = [];
  let sliceEnd = PARSE_SLICE_CHARS;
  try {
    for (const { start, end } of jsonArrayItemSpans(text)) {
      events.push(flumeEvent(parseJson(text.slice(start, end), `event ${events.length}`), charset, 'event', events.length));
      if (end >= sliceEnd) {
        sliceEnd = end + PARSE_SLICE_CHARS;
        await yieldToEventLoop();
      }
    }
  } catch (error) {
    if (error instanceof SyntaxError) {
      if (!text.trimStart().startsWith('[')) throw bad('the request body must be a JSON array of events, e.g. [{"headers":{},"body":"text"}]');
      throw bad(`the request body is not valid JSON: ${error.message}`);
    }
    throw error;
  }
  return events;
}

/** One `{headers, body}` JSON object per line (empty lines skipped); the same shape as the json handler. */
export const ndjsonHandler: RequestHandler = ({ body, contentType, maxEvents }) => {
  const charset = charsetOf(contentType);
  const text = charset.decode(body);
  // Non-blank lines are counted before any is split off or parsed: a flood of tiny lines stops here.
  if (maxEvents !== undefined && countNonBlankLines(text, maxEvents) > maxEvents) throw tooMany(maxEvents);
  if (text.length > PARSE_SLICE_CHARS) return parseLinesInSlices(text, charset);
  const events: SluiceEvent[] = [];
  for (const { line, number } of nonBlankLines(text)) events.push(ndjsonEvent(line, number, charset));
  return events;
};

/** The ndjson handler's path for a big body: yields after every PARSE_SLICE_CHARS characters. */
async function parseLinesInSlices(text: string, charset: Charset): Promise<SluiceEvent[]> {
  const events: SluiceEvent[] = [];
  let sliceEnd = PARSE_SLICE_CHARS;
  for (const { line, number, end } of nonBlankLines(text)) {
    events.push(ndjsonEvent(line, number, charset));
    if (end >= sliceEnd) {
      sliceEnd = end + PARSE_SLICE_CHARS;
      await yieldToEventLoop();
    }
  }
  return events;
}

/** The trimmed non-blank lines of `text`, numbered from 1, with the offset where each ends. */
function* nonBlankLines(text: string): Generator<{ line: string; number: number; end: number }> {
  let number = 0;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    number++;
    const line = text.slice(start, end).trim();
    if (line !== '') yield { line, number, end };
    start = end + 1;
  }
}

function ndjsonEvent(line: string, number: number, charset: Charset): SluiceEvent {
  return flumeEvent(parseJson(line, `line ${number}`), charset, 'line', number);
}

/** Flume's BLOBHandler: the whole body, as received, is one event; query parameters become headers. */
export const blobHandler: RequestHandler = ({ body, query }) => {
  const headers = createHeaders();
  for (const [key, value] of query) headers[key] = value;
  return [{ headers, body }];
};

/** The handlers by their `handler` config name. */
export const HANDLERS: Readonly<Record<HandlerName, RequestHandler>> = { json: jsonHandler, ndjson: ndjsonHandler, blob: blobHandler };
