import { SluiceError } from '@sluice/core';

/** The two Thrift protocols Flume's ThriftSource and ThriftRpcClient offer (`protocol` key). */
export type ThriftProtocolName = 'compact' | 'binary';

/** Thrift's type ids (those of TBinaryProtocol); the compact protocol maps to and from them. */
export const TType = {
  STOP: 0, BOOL: 2, BYTE: 3, DOUBLE: 4, I16: 6, I32: 8, I64: 10, STRING: 11, STRUCT: 12, MAP: 13, SET: 14, LIST: 15,
} as const;

/** Thrift message types. */
export const MessageType = { CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const;

/** The header of a Thrift message. */
export interface MessageHeader {
  name: string;
  type: number;
  seqid: number;
}

/** Writes one Thrift message in either protocol; `finish` returns the bytes. */
export interface ProtocolWriter {
  messageBegin(name: string, type: number, seqid: number): this;
  structBegin(): this;
  structEnd(): this;
  /** Starts a field of `type` (a {@link TType}) with `id`. Write its value next. */
  field(type: number, id: number): this;
  mapBegin(keyType: number, valueType: number, size: number): this;
  listBegin(elementType: number, size: number): this;
  string(value: string): this;
  binary(value: Buffer): this;
  i32(value: number): this;
  finish(): Buffer;
}

/** Reads one Thrift message in either protocol; every method throws SLUICE_PROTOCOL on malformed input. */
export interface ProtocolReader {
  messageBegin(): MessageHeader;
  structBegin(): void;
  structEnd(): void;
  /** The next field's type and id; type {@link TType.STOP} ends the struct. */
  field(): { type: number; id: number };
  mapBegin(): { keyType: number; valueType: number; size: number };
  listBegin(): { elementType: number; size: number };
  string(): string;
  binary(): Buffer;
  i32(): number;
  /** Skips a value of `type` (unknown fields are skipped, as Thrift's generated code does). */
  skip(type: number, depth?: number): void;
}

const MAX_DEPTH = 64;

function malformed(message: string): SluiceError {
  return new SluiceError('SLUICE_PROTOCOL', `malformed Thrift message: ${message}`);
}

/** A growable output buffer shared by both writers. */
class Output {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  utf8(s: string, lengthPrefix: (n: number) => void): void {
    const n = Buffer.byteLength(s);
    lengthPrefix(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** A bounds-checked input cursor shared by both readers. */
class Input {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw malformed(`needs ${n} more bytes at offset ${this.pos} of ${this.buf.length}`);
  }
  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/**
 * What both writers share: strings and binaries are a length then the bytes; only how the length
 * is written differs ({@link length}).
 */
abstract class BaseWriter {
  protected readonly out: Output;
  constructor(size: number) {
    this.out = new Output(size);
  }
  /** Writes the byte length that precedes a string or binary. */
  protected abstract length(n: number): void;
  string(value: string): this {
    this.out.utf8(value, (n) => this.length(n));
    return this;
  }
  binary(value: Buffer): this {
    this.length(value.length);
    this.out.bytes(value);
    return this;
  }
  finish(): Buffer {
    return this.out.finish();
  }
}

/**
 * What both readers share: strings and binaries are a {@link size} then the bytes, and skipping
 * recurses through containers and structs the same way (bounded by MAX_DEPTH); only sizes and
 * scalars ({@link skipScalar}) are read differently.
 */
abstract class BaseReader {
  protected readonly in: Input;
  constructor(buf: Buffer) {
    this.in = new Input(buf);
  }
  /** Reads a string, binary or container size; throws SLUICE_PROTOCOL when it is negative. */
  protected abstract size(): number;
  /** Skips a value of `type` if it is a scalar (bool, byte, i16, i32, i64, double) and says whether it was. */
  protected abstract skipScalar(type: number): boolean;
  abstract structBegin(): void;
  abstract structEnd(): void;
  abstract field(): { type: number; id: number };
  abstract mapBegin(): { keyType: number; valueType: number; size: number };
  abstract listBegin(): { elementType: number; size: number };
  string(): string {
    return this.binary().toString('utf8');
  }
  binary(): Buffer {
    return this.in.bytes(this.size());
  }
  skip(type: number, depth = 0): void {
    if (depth > MAX_DEPTH) throw malformed('nesting too deep');
    if (this.skipScalar(type)) return;
    switch (type) {
      case TType.STRING: this.binary(); return;
      case TType.STRUCT:
        this.structBegin();
        for (let f = this.field(); f.type !== TType.STOP; f = this.field()) this.skip(f.type, depth + 1);
        this.structEnd();
        return;
      case TType.MAP: {
        const { keyType, valueType, size } = this.mapBegin();
        for (let i = 0; i < size; i++) {
          this.skip(keyType, depth + 1);
          this.skip(valueType, depth + 1);
        }
        return;
      }
      case TType.SET: case TType.LIST: {
        const { elementType, size } = this.listBegin();
        for (let i = 0; i < size; i++) this.skip(elementType, depth + 1);
        return;
      }
      default: throw malformed(`unknown type id ${type}`);
    }
  }
}

/** TBinaryProtocol, writing strict (versioned) message headers as Java's default does. */
export class BinaryWriter extends BaseWriter implements ProtocolWriter {
  constructor(size = 256) {
    super(size);
  }
  protected length(n: number): void {
    this.int32(n);
  }
  private int32(n: number): void {
    this.out.ensure(4);
    this.out.buf.writeInt32BE(n | 0, this.out.pos);
    this.out.pos += 4;
  }
  private int16(n: number): void {
    this.out.ensure(2);
    this.out.buf.writeInt16BE(n, this.out.pos);
    this.out.pos += 2;
  }
  messageBegin(name: string, type: number, seqid: number): this {
    this.int32(0x80010000 | type);
    this.string(name);
    this.int32(seqid);
    return this;
  }
  structBegin(): this {
    return this;
  }
  structEnd(): this {
    this.out.byte(TType.STOP);
    return this;
  }
  field(type: number, id: number): this {
    this.out.byte(type);
    this.int16(id);
    return this;
  }
  mapBegin(keyType: number, valueType: number, size: number): this {
    this.out.byte(keyType);
    this.out.byte(valueType);
    this.int32(size);
    return this;
  }
  listBegin(elementType: number, size: number): this {
    this.out.byte(elementType);
    this.int32(size);
    return this;
  }
  i32(value: number): this {
    this.int32(value);
    return this;
  }
}

/** TBinaryProtocol reader; accepts strict and old non-strict message headers, like Java's default server. */
export class BinaryReader extends BaseReader implements ProtocolReader {
  private int32(): number {
    this.in.need(4);
    const v = this.in.buf.readInt32BE(this.in.pos);
    this.in.pos += 4;
    return v;
  }
  private int16(): number {
    this.in.need(2);
    const v = this.in.buf.readInt16BE(this.in.pos);
    this.in.pos += 2;
    return v;
  }
  protected size(): number {
    const n = this.int32();
    if (n < 0) throw malformed(`negative size ${n}`);
    this.in.need(0);
    return n;
  }
  messageBegin(): MessageHeader {
    const first = this.int32();
    if (first < 0) {
      if ((first & 0xffff0000) !== (0x80010000 | 0)) throw malformed(`bad binary protocol version 0x${(first >>> 0).toString(16)}`);
      const name = this.string();
      return { name, type: first & 0xff, seqid: this.int32() };
    }
    const name = this.in.bytes(first).toString('utf8');
    const type = this.in.byte();
    return { name, type, seqid: this.int32() };
  }
  structBegin(): void {}
  structEnd(): void {}
  field(): { type: number; id: number } {
    const type = this.in.byte();
    return type === TType.STOP ? { type, id: 0 } : { type, id: this.int16() };
  }
  mapBegin(): { keyType: number; valueType: number; size: number } {
    const keyType = this.in.byte();
    const valueType = this.in.byte();
    const size = this.size();
    this.in.need(size); // every entry takes at least one byte
    return { keyType, valueType, size };
  }
  listBegin(): { elementType: number; size: number } {
    const elementType = this.in.byte();
    const size = this.size();
    this.in.need(size);
    return { elementType, size };
  }
  i32(): number {
    return this.int32();
  }
  protected skipScalar(type: number): boolean {
    switch (type) {
      case TType.BOOL: case TType.BYTE: this.in.bytes(1); return true;
      case TType.I16: this.in.bytes(2); return true;
      case TType.I32: this.in.bytes(4); return true;
      case TType.I64: case TType.DOUBLE: this.in.bytes(8); return true;
      default: return false;
    }
  }
}

const COMPACT_PROTOCOL_ID = 0x82;
const COMPACT_VERSION = 1;
/** TType -> compact type id. */
const TO_COMPACT: Record<number, number> = {
  [TType.STOP]: 0, [TType.BOOL]: 1, [TType.BYTE]: 3, [TType.I16]: 4, [TType.I32]: 5, [TType.I64]: 6, [TType.DOUBLE]: 7,
  [TType.STRING]: 8, [TType.LIST]: 9, [TType.SET]: 10, [TType.MAP]: 11, [TType.STRUCT]: 12,
};
/** Compact type id -> TType (1 and 2 are boolean true and false). */
const FROM_COMPACT = [TType.STOP, TType.BOOL, TType.BOOL, TType.BYTE, TType.I16, TType.I32, TType.I64, TType.DOUBLE, TType.STRING, TType.LIST, TType.SET, TType.MAP, TType.STRUCT];

function fromCompact(id: number): number {
  const type = FROM_COMPACT[id];
  if (type === undefined) throw malformed(`unknown compact type id ${id}`);
  return type;
}

/** TCompactProtocol writer (the default of Flume's ThriftSource and ThriftRpcClient). */
export class CompactWriter extends BaseWriter implements ProtocolWriter {
  private lastFieldId = 0;
  private readonly fieldIds: number[] = [];
  constructor(size = 256) {
    super(size);
  }
  protected length(n: number): void {
    this.varint(n);
  }
  private varint(n: number): void {
    let v = n >>> 0;
    this.out.ensure(5);
    while (v >= 0x80) {
      this.out.buf[this.out.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.out.buf[this.out.pos++] = v;
  }
  private zigzag32(n: number): void {
    this.varint((n << 1) ^ (n >> 31));
  }
  messageBegin(name: string, type: number, seqid: number): this {
    this.out.byte(COMPACT_PROTOCOL_ID);
    this.out.byte((COMPACT_VERSION & 0x1f) | ((type << 5) & 0xe0));
    this.varint(seqid);
    return this.string(name);
  }
  structBegin(): this {
    this.fieldIds.push(this.lastFieldId);
    this.lastFieldId = 0;
    return this;
  }
  structEnd(): this {
    this.out.byte(0);
    this.lastFieldId = this.fieldIds.pop() ?? 0;
    return this;
  }
  field(type: number, id: number): this {
    const compact = TO_COMPACT[type]!;
    const delta = id - this.lastFieldId;
    if (delta > 0 && delta <= 15) {
      this.out.byte((delta << 4) | compact);
    } else {
      this.out.byte(compact);
      this.zigzag32(id);
    }
    this.lastFieldId = id;
    return this;
  }
  mapBegin(keyType: number, valueType: number, size: number): this {
    if (size === 0) {
      this.out.byte(0);
    } else {
      this.varint(size);
      this.out.byte((TO_COMPACT[keyType]! << 4) | TO_COMPACT[valueType]!);
    }
    return this;
  }
  listBegin(elementType: number, size: number): this {
    if (size < 15) {
      this.out.byte((size << 4) | TO_COMPACT[elementType]!);
    } else {
      this.out.byte(0xf0 | TO_COMPACT[elementType]!);
      this.varint(size);
    }
    return this;
  }
  i32(value: number): this {
    this.zigzag32(value);
    return this;
  }
}

/** TCompactProtocol reader. */
export class CompactReader extends BaseReader implements ProtocolReader {
  private lastFieldId = 0;
  private readonly fieldIds: number[] = [];
  /** The value of a boolean field, carried in its field header. */
  private pendingBool: boolean | undefined;
  private varint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.in.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
    }
    throw malformed('varint longer than 5 bytes');
  }
  private varint64(): void {
    for (let i = 0; i < 10; i++) if ((this.in.byte() & 0x80) === 0) return;
    throw malformed('varint longer than 10 bytes');
  }
  private zigzag32(): number {
    const u = this.varint();
    return (u >>> 1) ^ -(u & 1);
  }
  protected size(): number {
    const n = this.varint();
    if (n > 0x7fffffff) throw malformed(`negative size ${n | 0}`);
    return n;
  }
  messageBegin(): MessageHeader {
    const id = this.in.byte();
    if (id !== COMPACT_PROTOCOL_ID) throw malformed(`expected compact protocol id 0x82, got 0x${id.toString(16)}`);
    const versionAndType = this.in.byte();
    if ((versionAndType & 0x1f) !== COMPACT_VERSION) throw malformed(`unsupported compact protocol version ${versionAndType & 0x1f}`);
    const seqid = this.varint() | 0;
    return { name: this.string(), type: (versionAndType >> 5) & 0x07, seqid };
  }
  structBegin(): void {
    this.fieldIds.push(this.lastFieldId);
    this.lastFieldId = 0;
  }
  structEnd(): void {
    this.lastFieldId = this.fieldIds.pop() ?? 0;
  }
  field(): { type: number; id: number } {
    const header = this.in.byte();
    const compact = header & 0x0f;
    if (compact === 0) return { type: TType.STOP, id: 0 };
    const delta = header >> 4;
    const id = delta === 0 ? this.zigzag32() : this.lastFieldId + delta;
    this.lastFieldId = id;
    if (compact === 1 || compact === 2) this.pendingBool = compact === 1;
    return { type: fromCompact(compact), id };
  }
  mapBegin(): { keyType: number; valueType: number; size: number } {
    const size = this.size();
    if (size === 0) return { keyType: TType.STOP, valueType: TType.STOP, size };
    const types = this.in.byte();
    this.in.need(size);
    return { keyType: fromCompact(types >> 4), valueType: fromCompact(types & 0x0f), size };
  }
  listBegin(): { elementType: number; size: number } {
    const header = this.in.byte();
    const size = header >> 4 === 15 ? this.size() : header >> 4;
    this.in.need(size);
    return { elementType: fromCompact(header & 0x0f), size };
  }
  i32(): number {
    return this.zigzag32();
  }
  protected skipScalar(type: number): boolean {
    switch (type) {
      case TType.BOOL:
        if (this.pendingBool !== undefined) this.pendingBool = undefined;
        else this.in.bytes(1);
        return true;
      case TType.BYTE: this.in.bytes(1); return true;
      case TType.I16: case TType.I32: case TType.I64: this.varint64(); return true;
      case TType.DOUBLE: this.in.bytes(8); return true;
      default: return false;
    }
  }
}

/** A writer for `protocol`. */
export function protocolWriter(protocol: ThriftProtocolName, size?: number): ProtocolWriter {
  return protocol === 'compact' ? new CompactWriter(size) : new BinaryWriter(size);
}

/** A reader of `payload` in `protocol`. */
export function protocolReader(protocol: ThriftProtocolName, payload: Buffer): ProtocolReader {
  return protocol === 'compact' ? new CompactReader(payload) : new BinaryReader(payload);
}

/**
 * Which protocol a message's first byte announces: 0x82 is compact, 0x80 a strict binary header;
 * anything else is an old non-strict binary header or not Thrift (undefined).
 */
export function detectProtocol(payload: Buffer): ThriftProtocolName | undefined {
  if (payload[0] === COMPACT_PROTOCOL_ID) return 'compact';
  if (payload[0] === 0x80) return 'binary';
  return undefined;
}
