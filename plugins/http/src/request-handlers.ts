import type { SluiceEvent } from '@sluice/core';
import { charsetOf, type Charset } from './charset.js';
import { HttpStatusError } from './http-status-error.js';

/** How the HTTP source turns a request body into events. */
export type HandlerName = 'json' | 'ndjson' | 'blob';

/** What a handler sees of a request. */
export interface RequestBody {
  body: Buffer;
  contentType: string | undefined;
  /** Query parameters, used as headers by the blob handler. */
  query: URLSearchParams;
}

/** Turns one request into events; throws HttpStatusError (400, 415) for a body it cannot read. */
export type RequestHandler = (request: RequestBody) => SluiceEvent[];

const bad = (message: string): HttpStatusError => new HttpStatusError(400, 'BAD_REQUEST', message);

/** Converts one `{headers, body}` item of Flume's JSON shape; `where` names it in errors. */
function flumeEvent(item: unknown, charset: Charset, where: string): SluiceEvent {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw bad(`${where} must be an object like {"headers": {...}, "body": "..."}`);
  const { headers: rawHeaders, body } = item as { headers?: unknown; body?: unknown };
  const headers: Record<string, string> = {};
  if (rawHeaders !== undefined && rawHeaders !== null) {
    if (typeof rawHeaders !== 'object' || Array.isArray(rawHeaders)) throw bad(`${where}.headers must be an object of strings`);
    for (const [key, value] of Object.entries(rawHeaders)) {
      if (typeof value === 'string') headers[key] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') headers[key] = String(value);
      else throw bad(`${where}.headers.${key} must be a string`);
    }
  }
  if (body !== undefined && body !== null && typeof body !== 'string') throw bad(`${where}.body must be a string`);
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
export const jsonHandler: RequestHandler = ({ body, contentType }) => {
  const charset = charsetOf(contentType);
  const parsed = parseJson(charset.decode(body), 'the request body');
  if (!Array.isArray(parsed)) throw bad('the request body must be a JSON array of events, e.g. [{"headers":{},"body":"text"}]');
  return parsed.map((item, i) => flumeEvent(item, charset, `event ${i}`));
};

/** One `{headers, body}` JSON object per line (empty lines skipped); the same shape as the json handler. */
export const ndjsonHandler: RequestHandler = ({ body, contentType }) => {
  const charset = charsetOf(contentType);
  const events: SluiceEvent[] = [];
  const lines = charset.decode(body).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line !== '') events.push(flumeEvent(parseJson(line, `line ${i + 1}`), charset, `line ${i + 1}`));
  }
  return events;
};

/** Flume's BLOBHandler: the whole body, as received, is one event; query parameters become headers. */
export const blobHandler: RequestHandler = ({ body, query }) => {
  const headers: Record<string, string> = {};
  for (const [key, value] of query) headers[key] = value;
  return [{ headers, body }];
};

/** The handlers by their `handler` config name. */
export const HANDLERS: Readonly<Record<HandlerName, RequestHandler>> = { json: jsonHandler, ndjson: ndjsonHandler, blob: blobHandler };
