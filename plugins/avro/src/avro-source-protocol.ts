import { createHash } from 'node:crypto';
import { SluiceError, type SluiceEvent } from '@sluice/core';
import { AvroReader, AvroWriter } from './avro-binary.js';

/**
 * Flume's `AvroSourceProtocol` (flume-ng-sdk `flume.avdl`) as an Avro protocol declaration. Its
 * JSON text is what our side sends in handshakes, and its MD5 is our protocol hash.
 */
export const AVRO_SOURCE_PROTOCOL = {
  protocol: 'AvroSourceProtocol',
  namespace: 'org.apache.flume.source.avro',
  types: [
    { type: 'enum', name: 'Status', symbols: ['OK', 'FAILED', 'UNKNOWN'] },
    {
      type: 'record',
      name: 'AvroFlumeEvent',
      fields: [
        { name: 'headers', type: { type: 'map', values: 'string' } },
        { name: 'body', type: 'bytes' },
      ],
    },
  ],
  messages: {
    append: { request: [{ name: 'event', type: 'AvroFlumeEvent' }], response: 'Status' },
    appendBatch: { request: [{ name: 'events', type: { type: 'array', items: 'AvroFlumeEvent' } }], response: 'Status' },
  },
} as const;

/** The protocol JSON text we send and the MD5 hash computed from it (never hard-coded). */
export const PROTOCOL_JSON = JSON.stringify(AVRO_SOURCE_PROTOCOL);
export const PROTOCOL_HASH = md5(PROTOCOL_JSON);

/** MD5 of a protocol's JSON text, the `MD5` fixed(16) of Avro handshakes. */
export function md5(text: string): Buffer {
  return createHash('md5').update(text, 'utf8').digest();
}

/** The `Status` enum of the protocol, by wire index. */
export const STATUS = ['OK', 'FAILED', 'UNKNOWN'] as const;
export type Status = (typeof STATUS)[number];

/** `org.apache.avro.ipc.HandshakeRequest`. */
export interface HandshakeRequest {
  clientHash: Buffer;
  clientProtocol: string | null;
  serverHash: Buffer;
  meta: Record<string, Buffer> | null;
}

/** `org.apache.avro.ipc.HandshakeMatch`, by wire index. */
export const HANDSHAKE_MATCH = ['BOTH', 'CLIENT', 'NONE'] as const;
export type HandshakeMatch = (typeof HANDSHAKE_MATCH)[number];

/** `org.apache.avro.ipc.HandshakeResponse`. */
export interface HandshakeResponse {
  match: HandshakeMatch;
  serverProtocol: string | null;
  serverHash: Buffer | null;
  meta: Record<string, Buffer> | null;
}

export function writeHandshakeRequest(w: AvroWriter, request: HandshakeRequest): AvroWriter {
  w.raw(request.clientHash);
  if (request.clientProtocol === null) w.long(0);
  else w.long(1).string(request.clientProtocol);
  w.raw(request.serverHash);
  if (request.meta === null) w.long(0);
  else w.long(1).bytesMap(request.meta);
  return w;
}

export function readHandshakeRequest(r: AvroReader): HandshakeRequest {
  const clientHash = Buffer.from(r.fixed(16));
  const clientProtocol = readUnionIndex(r, 'clientProtocol') === 0 ? null : r.string();
  const serverHash = Buffer.from(r.fixed(16));
  const meta = readUnionIndex(r, 'meta') === 0 ? null : r.bytesMap();
  return { clientHash, clientProtocol, serverHash, meta };
}

export function writeHandshakeResponse(w: AvroWriter, response: HandshakeResponse): AvroWriter {
  w.long(HANDSHAKE_MATCH.indexOf(response.match));
  if (response.serverProtocol === null) w.long(0);
  else w.long(1).string(response.serverProtocol);
  if (response.serverHash === null) w.long(0);
  else w.long(1).raw(response.serverHash);
  if (response.meta === null) w.long(0);
  else w.long(1).bytesMap(response.meta);
  return w;
}

export function readHandshakeResponse(r: AvroReader): HandshakeResponse {
  const index = r.long();
  const match = HANDSHAKE_MATCH[index];
  if (match === undefined) throw new SluiceError('SLUICE_PROTOCOL', `handshake response has match index ${index}; expected 0 (BOTH), 1 (CLIENT) or 2 (NONE)`);
  const serverProtocol = readUnionIndex(r, 'serverProtocol') === 0 ? null : r.string();
  const serverHash = readUnionIndex(r, 'serverHash') === 0 ? null : Buffer.from(r.fixed(16));
  const meta = readUnionIndex(r, 'meta') === 0 ? null : r.bytesMap();
  return { match, serverProtocol, serverHash, meta };
}

function readUnionIndex(r: AvroReader, field: string): 0 | 1 {
  const index = r.long();
  if (index !== 0 && index !== 1) throw new SluiceError('SLUICE_PROTOCOL', `handshake field ${field} has union index ${index}; expected 0 (null) or 1`);
  return index;
}

/** Writes one AvroFlumeEvent record. */
export function writeEvent(w: AvroWriter, event: SluiceEvent): void {
  w.stringMap(event.headers);
  w.bytes(event.body);
}

/** Reads one AvroFlumeEvent record; the body is a view into the message. */
export function readEvent(r: AvroReader): SluiceEvent {
  const headers = r.stringMap();
  return { headers, body: r.bytes() };
}

/**
 * Reads the `array<AvroFlumeEvent>` parameter of appendBatch. Throws SLUICE_PROTOCOL when it is
 * malformed and SLUICE_EVENT_REJECTED (details.tooMany) when it holds more than `maxEvents`.
 */
export function readEventArray(r: AvroReader, maxEvents: number): SluiceEvent[] {
  const events: SluiceEvent[] = [];
  // An event needs at least 2 bytes (empty map terminator and body length).
  for (let n = r.blockCount(2); n !== 0; n = r.blockCount(2)) {
    if (events.length + n > maxEvents) {
      throw new SluiceError('SLUICE_EVENT_REJECTED', `appendBatch carries more than maxBatchEvents (${maxEvents}) events; lower the sender's batch size or raise maxBatchEvents`, { details: { tooMany: true } });
    }
    for (let i = 0; i < n; i++) events.push(readEvent(r));
  }
  return events;
}

/** Rough encoded size of a batch, to size the writer once. */
export function estimateBatchBytes(events: readonly SluiceEvent[]): number {
  let size = 64;
  for (let i = 0; i < events.length; i++) size += events[i]!.body.length + 16;
  return size;
}

/** Encodes the appendBatch call after the handshake: `[meta 00][name][array]`. */
export function encodeAppendBatchCall(events: readonly SluiceEvent[]): Buffer {
  const w = new AvroWriter(estimateBatchBytes(events) + events.length * 32);
  w.long(0); // empty call meta
  w.string('appendBatch');
  if (events.length > 0) {
    w.long(events.length);
    for (let i = 0; i < events.length; i++) writeEvent(w, events[i]!);
  }
  w.long(0);
  return w.finish();
}

/** Encodes a response body after the (optional) handshake: `[meta 00][isError 00][status]`. */
export function encodeStatusResponse(status: Status): Buffer {
  return Buffer.from([0, 0, STATUS.indexOf(status) * 2]);
}

/** Encodes an error response: `[meta 00][isError 01][union index 0]["message"]` (Avro system error). */
export function encodeErrorResponse(message: string): Buffer {
  return new AvroWriter(message.length + 16).long(0).boolean(true).long(0).string(message).finish();
}

/** A decoded call response: the status, or the error message a server returned. */
export type CallResult = { status: Status } | { error: string };

/** Reads `[meta][isError][Status | error union]`. */
export function readCallResult(r: AvroReader): CallResult {
  r.bytesMap();
  if (r.boolean()) {
    const index = r.long();
    if (index !== 0) return { error: `remote error of union branch ${index}` };
    return { error: r.string() };
  }
  const index = r.long();
  const status = STATUS[index];
  if (status === undefined) throw new SluiceError('SLUICE_PROTOCOL', `response status index ${index} is not OK, FAILED or UNKNOWN`);
  return { status };
}

/** A parsed client protocol we can serve: it must declare appendBatch or append. */
export function checkClientProtocol(text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new SluiceError('SLUICE_PROTOCOL', 'handshake clientProtocol is not valid JSON', { cause });
  }
  const messages = (parsed as { messages?: Record<string, unknown> } | null)?.messages;
  if (!messages || typeof messages !== 'object') {
    throw new SluiceError('SLUICE_PROTOCOL', 'handshake clientProtocol declares no messages; expected AvroSourceProtocol');
  }
}
