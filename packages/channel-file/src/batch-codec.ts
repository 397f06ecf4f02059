import { crc32 } from 'node:zlib';
import { createHeaders, type SluiceEvent } from '@sluice/core';

/**
 * The on-disk record of one committed put-batch in a data file: one record per batch, never one
 * per event. Records follow each other in a data file; the header lets start-up walk a file from
 * record to record without reading the events, and find the next record after damaged bytes.
 * Layout (integers little-endian):
 *
 * ```
 * 0  u32  magic "SLB1"
 * 4  u32  record length in bytes, header included
 * 8  u32  batch sequence, high 32 bits
 * 12 u32  batch sequence, low 32 bits
 * 16 u32  event count
 * 20 u32  CRC-32 of bytes 0..20 (the header)
 * 24 u32  CRC-32 of every byte from offset 28 to the end (the events)
 * 28 ...  events: u32 body length, u32 header count, per header (u32 key length, key UTF-8,
 *         u32 value length, value UTF-8), then the body bytes
 * ```
 */
export const RECORD_MAGIC = Buffer.from('SLB1', 'latin1');
const MAGIC = RECORD_MAGIC.readUInt32LE(0);
/** Bytes of the record header, the part {@link readRecordHeader} needs. */
export const RECORD_HEADER = 28;
const TWO_32 = 0x1_0000_0000;

/** What a record header says about its batch. */
export interface RecordHeader {
  seq: number;
  count: number;
  /** The whole record's length in bytes. */
  length: number;
}

/** The exact length {@link encodeBatch} produces for `events`. */
export function encodedSize(events: readonly SluiceEvent[]): number {
  let size = RECORD_HEADER;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    size += 8 + event.body.length;
    for (const key in event.headers) size += 8 + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(event.headers[key]!, 'utf8');
  }
  return size;
}

/**
 * Encodes a batch as one record; `size` is {@link encodedSize}. With `into` (at least `size`
 * bytes), the record is written there and a view of it returned.
 */
export function encodeBatch(seq: number, events: readonly SluiceEvent[], size = encodedSize(events), into?: Buffer): Buffer {
  const out = into ? into.subarray(0, size) : Buffer.allocUnsafe(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(size, 4);
  out.writeUInt32LE(Math.floor(seq / TWO_32), 8);
  out.writeUInt32LE(seq % TWO_32, 12);
  out.writeUInt32LE(events.length, 16);
  out.writeUInt32LE(crc32(out.subarray(0, 20)), 20);
  let offset = RECORD_HEADER;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const headers = event.headers;
    out.writeUInt32LE(event.body.length, offset);
    const countAt = offset + 4;
    offset += 8;
    let headerCount = 0;
    for (const key in headers) {
      const keyLength = out.write(key, offset + 4, 'utf8');
      out.writeUInt32LE(keyLength, offset);
      offset += 4 + keyLength;
      const valueLength = out.write(headers[key]!, offset + 4, 'utf8');
      out.writeUInt32LE(valueLength, offset);
      offset += 4 + valueLength;
      headerCount++;
    }
    out.writeUInt32LE(headerCount, countAt);
    offset += event.body.copy(out, offset);
  }
  out.writeUInt32LE(crc32(out.subarray(RECORD_HEADER)), 24);
  return out;
}

/**
 * Reads the record header at `offset` of `bytes`; undefined when there is no intact header there
 * (wrong magic, failed header checksum, or a length shorter than a header).
 */
export function readRecordHeader(bytes: Buffer, offset: number): RecordHeader | undefined {
  if (offset + RECORD_HEADER > bytes.length || bytes.readUInt32LE(offset) !== MAGIC) return undefined;
  if (crc32(bytes.subarray(offset, offset + 20)) !== bytes.readUInt32LE(offset + 20)) return undefined;
  const length = bytes.readUInt32LE(offset + 4);
  const count = bytes.readUInt32LE(offset + 16);
  if (length < RECORD_HEADER || count === 0) return undefined;
  return { seq: bytes.readUInt32LE(offset + 8) * TWO_32 + bytes.readUInt32LE(offset + 12), count, length };
}

/** Why a stored record was rejected. */
export type CorruptReason = 'checksum' | 'format' | 'sequence' | 'count';

/**
 * Decodes and verifies the record of batch `seq`, which should hold `count` events. Returns the
 * events (bodies are views into `record`, no copy) or the reason the record is corrupt.
 */
export function decodeBatch(record: Buffer, seq: number, count: number): SluiceEvent[] | CorruptReason {
  const header = readRecordHeader(record, 0);
  if (!header || header.length !== record.length) return 'format';
  if (crc32(record.subarray(RECORD_HEADER)) !== record.readUInt32LE(24)) return 'checksum';
  if (header.seq !== seq) return 'sequence';
  if (header.count !== count) return 'count';
  const events = new Array<SluiceEvent>(count);
  const end = record.length;
  let offset = RECORD_HEADER;
  for (let i = 0; i < count; i++) {
    if (offset + 8 > end) return 'format';
    const bodyLength = record.readUInt32LE(offset);
    const headerCount = record.readUInt32LE(offset + 4);
    offset += 8;
    const headers = createHeaders();
    for (let h = 0; h < headerCount; h++) {
      if (offset + 4 > end) return 'format';
      const keyLength = record.readUInt32LE(offset);
      const keyEnd = offset + 4 + keyLength;
      if (keyEnd + 4 > end) return 'format';
      const valueLength = record.readUInt32LE(keyEnd);
      const valueEnd = keyEnd + 4 + valueLength;
      if (valueEnd > end) return 'format';
      headers[record.toString('utf8', offset + 4, keyEnd)] = record.toString('utf8', keyEnd + 4, valueEnd);
      offset = valueEnd;
    }
    if (offset + bodyLength > end) return 'format';
    events[i] = { headers, body: record.subarray(offset, offset + bodyLength) };
    offset += bodyLength;
  }
  return offset === end ? events : 'format';
}
