import { crc32 } from 'node:zlib';
import type { SluiceEvent } from '@sluice/core';

/**
 * The on-disk encoding of one committed put-batch: one LevelDB value per batch, never one per
 * event. Layout (integers little-endian unless noted):
 *
 * ```
 * 0  u8   magic 0x53 ('S')
 * 1  u8   format version (1)
 * 2  u16  reserved (0)
 * 4  u32  CRC-32 of every byte from offset 8 to the end
 * 8  u32  batch sequence, high 32 bits
 * 12 u32  batch sequence, low 32 bits
 * 16 u32  event count
 * 20 ...  events: u32 body length, u32 header count, per header (u32 key length, key UTF-8,
 *         u32 value length, value UTF-8), then the body bytes
 * ```
 * The sequence is inside the checksummed area, so a value found under the wrong key is caught too.
 */
const MAGIC = 0x53;
const VERSION = 1;
const HEADER = 20;
const TWO_32 = 0x1_0000_0000;

/** The exact length {@link encodeBatch} produces for `events`. */
export function encodedSize(events: readonly SluiceEvent[]): number {
  let size = HEADER;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    size += 8 + event.body.length;
    for (const key in event.headers) size += 8 + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(event.headers[key]!, 'utf8');
  }
  return size;
}

/**
 * Encodes a batch; `seq` must equal the sequence in the batch's key, `size` is {@link encodedSize}.
 * With `into` (at least `size` bytes), the encoding is written there and a view of it returned.
 */
export function encodeBatch(seq: number, events: readonly SluiceEvent[], size = encodedSize(events), into?: Buffer): Buffer {
  const out = into ? into.subarray(0, size) : Buffer.allocUnsafe(size);
  out[0] = MAGIC;
  out[1] = VERSION;
  out.writeUInt16LE(0, 2);
  out.writeUInt32LE(Math.floor(seq / TWO_32), 8);
  out.writeUInt32LE(seq % TWO_32, 12);
  out.writeUInt32LE(events.length, 16);
  let offset = HEADER;
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
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

/** Why a stored value was rejected. */
export type CorruptReason = 'checksum' | 'format' | 'sequence' | 'count';

/**
 * Decodes and verifies a batch stored under `seq` that should hold `count` events. Returns the
 * events (bodies are views into `value`, no copy) or the reason the value is corrupt.
 */
export function decodeBatch(value: Buffer, seq: number, count: number): SluiceEvent[] | CorruptReason {
  if (value.length < HEADER || value[0] !== MAGIC || value[1] !== VERSION) return 'format';
  if (crc32(value.subarray(8)) !== value.readUInt32LE(4)) return 'checksum';
  if (value.readUInt32LE(8) * TWO_32 + value.readUInt32LE(12) !== seq) return 'sequence';
  if (value.readUInt32LE(16) !== count) return 'count';
  const events = new Array<SluiceEvent>(count);
  const end = value.length;
  let offset = HEADER;
  for (let i = 0; i < count; i++) {
    if (offset + 8 > end) return 'format';
    const bodyLength = value.readUInt32LE(offset);
    const headerCount = value.readUInt32LE(offset + 4);
    offset += 8;
    const headers: Record<string, string> = {};
    for (let h = 0; h < headerCount; h++) {
      if (offset + 4 > end) return 'format';
      const keyLength = value.readUInt32LE(offset);
      const keyEnd = offset + 4 + keyLength;
      if (keyEnd + 4 > end) return 'format';
      const valueLength = value.readUInt32LE(keyEnd);
      const valueEnd = keyEnd + 4 + valueLength;
      if (valueEnd > end) return 'format';
      headers[value.toString('utf8', offset + 4, keyEnd)] = value.toString('utf8', keyEnd + 4, valueEnd);
      offset = valueEnd;
    }
    if (offset + bodyLength > end) return 'format';
    events[i] = { headers, body: value.subarray(offset, offset + bodyLength) };
    offset += bodyLength;
  }
  return offset === end ? events : 'format';
}
