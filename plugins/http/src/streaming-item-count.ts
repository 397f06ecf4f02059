import { charsetOf } from './charset.js';
import { HttpStatusError } from './http-status-error.js';
import { JsonArrayItemCounter } from './json-item-counter.js';
import type { HandlerName } from './request-handlers.js';

/**
 * A running count of the events in a request body, fed chunk by chunk as the body arrives: each
 * call adds a chunk and throws 413 TOO_MANY_EVENTS once the bytes so far hold more than
 * maxEventsPerRequest. The source then answers after reading a few kilobytes, instead of holding
 * a 16 MiB body of `[{},{},...]` (and its decoded text) before the handler counts it.
 */
export type ItemCounter = (chunk: Buffer) => void;

/**
 * The {@link ItemCounter} for a request, or undefined when its bytes cannot be counted as they
 * come: a handler other than json or ndjson, a compressed body, or a charset other than UTF-8
 * (UTF-8 puts every byte of a multi-byte character at 0x80 or above, so the ASCII brackets,
 * quotes, commas and newlines can be found in raw bytes). Such bodies are still counted whole by
 * the handler. Counts as the handlers do (the same {@link JsonArrayItemCounter}; the ndjson line count).
 */
export function itemCounter(handler: HandlerName, contentType: string | undefined, contentEncoding: string | undefined, maxEvents: number): ItemCounter | undefined {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') return undefined;
  try {
    if (charsetOf(contentType).name !== 'utf-8') return undefined;
  } catch {
    return undefined; // an unknown charset: the handler answers 415
  }
  const count = handler === 'json' ? jsonArrayCounter() : handler === 'ndjson' ? lineCounter() : undefined;
  if (!count) return undefined;
  return (chunk) => {
    if (count(chunk) > maxEvents) {
      throw new HttpStatusError(413, 'TOO_MANY_EVENTS', `the request holds more than ${maxEvents} events (maxEventsPerRequest); send smaller batches`);
    }
  };
}

/** Events in the bytes of a JSON array so far. */
function jsonArrayCounter(): (chunk: Buffer) => number {
  const counter = new JsonArrayItemCounter();
  return (chunk) => counter.feedBytes(chunk);
}

/** Non-blank lines so far. */
function lineCounter(): (chunk: Buffer) => number {
  let lines = 0;
  let blank = true;
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x0a) {
        if (!blank) lines++;
        blank = true;
      } else if (c > 0x20) {
        blank = false;
      }
    }
    return blank ? lines : lines + 1;
  };
}
