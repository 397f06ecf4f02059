import { createHeaders, SluiceError, type SluiceEvent } from '@sluice/core';
import {
  MessageType, protocolReader, protocolWriter, TType, type ProtocolReader, type ProtocolWriter, type ThriftProtocolName,
} from './thrift-protocol.js';

/**
 * Flume's Thrift service (flume-ng-sdk `src/main/thrift/flume.thrift`):
 * ```
 * struct ThriftFlumeEvent { 1: required map<string,string> headers, 2: required binary body }
 * enum Status { OK, FAILED, ERROR, UNKNOWN }
 * service ThriftSourceProtocol {
 *   Status append(1: ThriftFlumeEvent event),
 *   Status appendBatch(1: list<ThriftFlumeEvent> events),
 * }
 * ```
 * Arguments travel as the struct `<method>_args { 1: ... }`, answers as `<method>_result { 0: Status success }`.
 */
export type Status = 'OK' | 'FAILED' | 'ERROR' | 'UNKNOWN';

const STATUS_VALUES: readonly Status[] = ['OK', 'FAILED', 'ERROR', 'UNKNOWN'];

/** TApplicationException types Thrift servers answer with. */
export const ApplicationExceptionType = { UNKNOWN: 0, UNKNOWN_METHOD: 1, INVALID_MESSAGE_TYPE: 2, PROTOCOL_ERROR: 7 } as const;

/** One decoded call of ThriftSourceProtocol. */
export interface SourceCall {
  method: 'append' | 'appendBatch';
  seqid: number;
  events: SluiceEvent[];
}

/** A call the source cannot serve, with what to answer (a TApplicationException). */
export class RefusedCall extends SluiceError {
  constructor(readonly method: string, readonly seqid: number, readonly exceptionType: number, message: string) {
    super('SLUICE_PROTOCOL', message, { details: { method, seqid } });
  }
}

function writeEvent(w: ProtocolWriter, event: SluiceEvent): void {
  w.structBegin();
  const keys = Object.keys(event.headers);
  w.field(TType.MAP, 1).mapBegin(TType.STRING, TType.STRING, keys.length);
  for (const key of keys) w.string(key).string(event.headers[key]!);
  w.field(TType.STRING, 2).binary(event.body);
  w.structEnd();
}

function readEvent(r: ProtocolReader): SluiceEvent {
  let headers: Record<string, string> | undefined;
  let body: Buffer | undefined;
  r.structBegin();
  for (let f = r.field(); f.type !== TType.STOP; f = r.field()) {
    if (f.id === 1 && f.type === TType.MAP) {
      const { keyType, valueType, size } = r.mapBegin();
      if (size > 0 && (keyType !== TType.STRING || valueType !== TType.STRING)) {
        throw new SluiceError('SLUICE_PROTOCOL', 'ThriftFlumeEvent.headers must be a map<string,string>');
      }
      // A header map: a header named __proto__ (or constructor) is a header like any other.
      headers = createHeaders();
      for (let i = 0; i < size; i++) {
        const key = r.string();
        headers[key] = r.string();
      }
    } else if (f.id === 2 && f.type === TType.STRING) {
      body = Buffer.from(r.binary());
    } else {
      r.skip(f.type);
    }
  }
  r.structEnd();
  // Both fields are `required` in Flume's IDL; Java's generated validate() refuses the struct without them.
  if (headers === undefined) throw new SluiceError('SLUICE_PROTOCOL', 'Required field \'headers\' was not present! Struct: ThriftFlumeEvent');
  if (body === undefined) throw new SluiceError('SLUICE_PROTOCOL', 'Required field \'body\' was not present! Struct: ThriftFlumeEvent');
  return { headers, body };
}

/** Estimated encoded size of a batch, to size the output buffer once. */
function estimate(events: readonly SluiceEvent[]): number {
  let n = 64;
  for (const e of events) {
    n += e.body.length + 16;
    for (const key in e.headers) n += key.length * 3 + e.headers[key]!.length * 3 + 10;
  }
  return n;
}

/** Encodes `appendBatch(events)` as a CALL message (the client side). */
export function encodeAppendBatchCall(protocol: ThriftProtocolName, seqid: number, events: readonly SluiceEvent[]): Buffer {
  const w = protocolWriter(protocol, estimate(events)).messageBegin('appendBatch', MessageType.CALL, seqid).structBegin();
  w.field(TType.LIST, 1).listBegin(TType.STRUCT, events.length);
  for (const event of events) writeEvent(w, event);
  return w.structEnd().finish();
}

/** Encodes `append(event)` as a CALL message. */
export function encodeAppendCall(protocol: ThriftProtocolName, seqid: number, event: SluiceEvent): Buffer {
  const w = protocolWriter(protocol, estimate([event])).messageBegin('append', MessageType.CALL, seqid).structBegin();
  w.field(TType.STRUCT, 1);
  writeEvent(w, event);
  return w.structEnd().finish();
}

/**
 * Decodes a call to ThriftSourceProtocol (the server side). Throws {@link RefusedCall} for an
 * unknown method, a message that is not a call, a batch over `maxBatchEvents` or malformed
 * arguments (answered with a TApplicationException, the connection stays usable), and a plain
 * SLUICE_PROTOCOL error when even the message header is unreadable (the connection must close).
 */
export function readSourceCall(protocol: ThriftProtocolName, payload: Buffer, maxBatchEvents: number): SourceCall {
  const r = protocolReader(protocol, payload);
  const { name, type, seqid } = r.messageBegin();
  if (type !== MessageType.CALL && type !== MessageType.ONEWAY) {
    throw new RefusedCall(name, seqid, ApplicationExceptionType.INVALID_MESSAGE_TYPE, `expected a call, got message type ${type}`);
  }
  if (name !== 'append' && name !== 'appendBatch') {
    throw new RefusedCall(name, seqid, ApplicationExceptionType.UNKNOWN_METHOD, `Invalid method name: '${name}'`);
  }
  try {
    const events: SluiceEvent[] = [];
    r.structBegin();
    for (let f = r.field(); f.type !== TType.STOP; f = r.field()) {
      if (f.id === 1 && name === 'append' && f.type === TType.STRUCT) {
        events.push(readEvent(r));
      } else if (f.id === 1 && name === 'appendBatch' && f.type === TType.LIST) {
        const { elementType, size } = r.listBegin();
        if (size > 0 && elementType !== TType.STRUCT) throw new SluiceError('SLUICE_PROTOCOL', 'appendBatch events must be a list<ThriftFlumeEvent>');
        if (size > maxBatchEvents) throw new SluiceError('SLUICE_PROTOCOL', `appendBatch of ${size} events is over this source's maxBatchEvents (${maxBatchEvents}); send smaller batches`);
        for (let i = 0; i < size; i++) events.push(readEvent(r));
      } else {
        r.skip(f.type);
      }
    }
    r.structEnd();
    if (name === 'append' && events.length === 0) throw new SluiceError('SLUICE_PROTOCOL', 'append without an event');
    return { method: name, seqid, events };
  } catch (error) {
    if (error instanceof RefusedCall) throw error;
    throw new RefusedCall(name, seqid, ApplicationExceptionType.PROTOCOL_ERROR, (error as Error).message);
  }
}

/** Encodes the REPLY `<method>_result { 0: success }`. */
export function encodeStatusReply(protocol: ThriftProtocolName, method: string, seqid: number, status: Status): Buffer {
  return protocolWriter(protocol, 32 + method.length).messageBegin(method, MessageType.REPLY, seqid).structBegin()
    .field(TType.I32, 0).i32(STATUS_VALUES.indexOf(status)).structEnd().finish();
}

/** Encodes an EXCEPTION message carrying `TApplicationException { 1: message, 2: type }`. */
export function encodeApplicationException(protocol: ThriftProtocolName, method: string, seqid: number, type: number, message: string): Buffer {
  return protocolWriter(protocol, 64 + method.length + message.length * 3).messageBegin(method, MessageType.EXCEPTION, seqid).structBegin()
    .field(TType.STRING, 1).string(message).field(TType.I32, 2).i32(type).structEnd().finish();
}

/** What a server answered to one call. */
export type Reply = { seqid: number; status: Status } | { seqid: number; exception: string };

/** Decodes a server's answer to `method` (the client side); throws SLUICE_PROTOCOL on anything else. */
export function readReply(protocol: ThriftProtocolName, payload: Buffer, method: string): Reply {
  const r = protocolReader(protocol, payload);
  const { name, type, seqid } = r.messageBegin();
  if (name !== method) throw new SluiceError('SLUICE_PROTOCOL', `the server answered '${name}' to a call of '${method}'`);
  let message = '';
  let code = 0;
  let status: Status | undefined;
  r.structBegin();
  for (let f = r.field(); f.type !== TType.STOP; f = r.field()) {
    if (type === MessageType.EXCEPTION && f.id === 1 && f.type === TType.STRING) message = r.string();
    else if (type === MessageType.EXCEPTION && f.id === 2 && f.type === TType.I32) code = r.i32();
    else if (type === MessageType.REPLY && f.id === 0 && f.type === TType.I32) status = STATUS_VALUES[r.i32()] ?? 'UNKNOWN';
    else r.skip(f.type);
  }
  r.structEnd();
  if (type === MessageType.EXCEPTION) return { seqid, exception: `TApplicationException type ${code}: ${message}` };
  if (type !== MessageType.REPLY) throw new SluiceError('SLUICE_PROTOCOL', `the server answered with message type ${type}`);
  if (status === undefined) return { seqid, exception: `${method} failed: unknown result (MISSING_RESULT)` };
  return { seqid, status };
}
