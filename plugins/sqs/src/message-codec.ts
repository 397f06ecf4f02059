import { isUtf8 } from 'node:buffer';
import { createHeaders, type SluiceEvent } from '@sluice/core';
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';

/** SQS allows at most this many message attributes per message. */
export const MAX_ATTRIBUTES = 10;
/** Attribute holding the headers that did not get an attribute of their own, as one JSON object. */
export const HEADERS_ATTRIBUTE = 'sluice.headers';
/** Attribute saying how the body is carried: `base64` (binary or non-SQS text) or `empty`. */
export const BODY_ATTRIBUTE = 'sluice.body';
/** Attribute carrying the put order of the sqs channel. */
export const SEQUENCE_ATTRIBUTE = 'sluice.seq';
const RESERVED = new Set([HEADERS_ATTRIBUTE, BODY_ATTRIBUTE, SEQUENCE_ATTRIBUTE]);
/** SQS's body is never empty: the placeholder sent with `sluice.body: empty`. */
const EMPTY_PLACEHOLDER = '(empty)';

/**
 * Characters not sent as text. SQS allows #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF;
 * the last range (emoji and other characters beyond the BMP) is left out on purpose, because some
 * SQS implementations (fauxqs) refuse it: such text travels base64-encoded or JSON-escaped.
 */
const NOT_ALLOWED = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/;
/** A valid attribute name: letters, digits, `_ - .`, no leading/trailing/double dot, no AWS./Amazon. prefix, at most 256. */
const ATTRIBUTE_NAME = /^(?!aws\.|amazon\.)(?!.*\.\.)[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{0,254}[A-Za-z0-9_-])?$/i;

/** One event in SQS's form, with the size SQS counts against its limits. */
export interface EncodedMessage {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  /** Body plus every attribute's name, type and value, in UTF-8 bytes: what SQS compares with MaximumMessageSize. */
  size: number;
}

/** Options of {@link encodeEvent}. */
export interface EncodeOptions {
  /** Send headers as message attributes (up to the limit); false puts them all into `sluice.headers`. */
  headerAttributes: boolean;
  /** Attributes of the component's own (the channel's sequence), sent first. */
  extra?: Record<string, string>;
}

/**
 * Turns an event into an SQS message that any SQS client can read and {@link decodeMessage}
 * turns back into the same event, byte for byte:
 * - a body that is UTF-8 text of the Basic Multilingual Plane that SQS accepts is sent as it is; any other body is sent base64-encoded
 *   with the attribute `sluice.body: base64` (an empty one as `(empty)` with `sluice.body: empty`);
 * - each header becomes a String attribute when its name is a valid attribute name and its value
 *   non-empty SQS text, while the 10-attribute limit allows; the others, and every header once the
 *   limit is reached, travel together as JSON in the attribute `sluice.headers`.
 */
export function encodeEvent(event: SluiceEvent, options: EncodeOptions): EncodedMessage {
  const attributes: Record<string, MessageAttributeValue> = {};
  let size = 0;
  const add = (name: string, value: string): void => {
    attributes[name] = { DataType: 'String', StringValue: value };
    size += Buffer.byteLength(name) + 6 + Buffer.byteLength(value);
  };
  for (const [name, value] of Object.entries(options.extra ?? {})) add(name, value);
  let body: string;
  if (event.body.length > 0 && isUtf8(event.body) && !NOT_ALLOWED.test(body = event.body.toString('utf8'))) {
    size += event.body.length;
  } else {
    body = event.body.length === 0 ? EMPTY_PLACEHOLDER : event.body.toString('base64');
    add(BODY_ATTRIBUTE, event.body.length === 0 ? 'empty' : 'base64');
    size += body.length;
  }
  const own: [string, string][] = [];
  let rest: Record<string, string> | undefined;
  for (const name in event.headers) {
    const value = event.headers[name]!;
    if (options.headerAttributes && value !== '' && ATTRIBUTE_NAME.test(name) && !RESERVED.has(name) && !NOT_ALLOWED.test(value)) own.push([name, value]);
    else (rest ??= {})[name] = value;
  }
  const room = MAX_ATTRIBUTES - Object.keys(attributes).length;
  if (rest === undefined && own.length <= room) {
    for (const [name, value] of own) add(name, value);
  } else {
    const keep = Math.max(0, room - 1);
    for (const [name, value] of own.slice(0, keep)) add(name, value);
    rest ??= {};
    for (const [name, value] of own.slice(keep)) rest[name] = value;
    // JSON escapes control characters; surrogates (characters beyond the BMP) and U+FFFE/U+FFFF it leaves as they are.
    add(HEADERS_ATTRIBUTE, JSON.stringify(rest).replace(/[\uD800-\uDFFF\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`));
  }
  return { body, attributes, size };
}

/**
 * The event an SQS message carries: {@link encodeEvent}'s format read back, and for any other
 * message its body as UTF-8 and its String/Number attributes as headers (Binary ones base64).
 * A `sluice.headers` value that is not a JSON object is kept as that header, unparsed.
 */
export function decodeMessage(message: Message): SluiceEvent {
  // A header map: a header named __proto__ is a header like any other, not a prototype to set.
  const headers = createHeaders();
  const attributes = message.MessageAttributes;
  let encoding: string | undefined;
  let json: string | undefined;
  if (attributes) {
    for (const name in attributes) {
      const value = attributes[name]!;
      const text = value.StringValue ?? (value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : '');
      if (name === BODY_ATTRIBUTE) encoding = text;
      else if (name === HEADERS_ATTRIBUTE) json = text;
      else if (name !== SEQUENCE_ATTRIBUTE) headers[name] = text;
    }
  }
  if (json !== undefined) {
    let parsed: unknown;
    try { parsed = JSON.parse(json); } catch { /* kept raw below */ }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) headers[name] = typeof value === 'string' ? value : JSON.stringify(value);
    } else {
      headers[HEADERS_ATTRIBUTE] = json;
    }
  }
  const text = message.Body ?? '';
  const body = encoding === 'base64' ? Buffer.from(text, 'base64') : encoding === 'empty' ? Buffer.alloc(0) : Buffer.from(text, 'utf8');
  return { headers, body };
}
