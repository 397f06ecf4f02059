import { crc32 } from 'node:zlib';

/**
 * Key layout of the file channel's index (LevelDB). The events themselves live in data files
 * ({@link DataLog}); the index records only what was consumed. Keys sort by a one-byte prefix,
 * then big-endian sequence:
 *
 * - `A` seq(u64): the consumed-events bitmap of a batch that is partly taken-and-committed.
 * - `A` seq with count 0 (a tombstone): the batch is gone on purpose (fully consumed out of order,
 *   removed as corrupt, or never written because its write failed) although its sequence is at or
 *   above the watermark.
 * - `W`: the watermark, u64: every batch below it is gone on purpose. A record in a data file
 *   below the watermark is consumed data waiting for its file to be deleted. A sequence between
 *   the watermark and the highest one known that has neither a record nor a tombstone was lost to
 *   damage, and start-up counts it.
 * - `S`: a marker written with `sync` to flush everything written to the index before it.
 */
export const ACK_PREFIX = 0x41;
export const SYNC_KEY = Buffer.from('S');
export const WATERMARK_KEY = Buffer.from('W');
const TWO_32 = 0x1_0000_0000;

export function ackKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(9);
  key[0] = ACK_PREFIX;
  key.writeUInt32BE(Math.floor(seq / TWO_32), 1);
  key.writeUInt32BE(seq % TWO_32, 5);
  return key;
}

/** Parses an `A` key to its batch sequence; undefined when malformed. */
export function parseAckKey(key: Buffer): number | undefined {
  if (key.length !== 9 || key[0] !== ACK_PREFIX) return undefined;
  return key.readUInt32BE(1) * TWO_32 + key.readUInt32BE(5);
}

/** Encodes a consumed-events bitmap with its checksum: crc32(u32) count(u32) bitmap. */
export function encodeAck(count: number, bitmap: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + bitmap.length);
  out.writeUInt32LE(count, 4);
  out.set(bitmap, 8);
  out.writeUInt32LE(crc32(out.subarray(4)), 0);
  return out;
}

/** Decodes an ack value for a batch of `count` events; undefined when it fails its checksum. */
export function decodeAck(value: Buffer, count: number): Uint8Array | undefined {
  const length = Math.ceil(count / 8);
  if (value.length !== 8 + length || value.readUInt32LE(4) !== count) return undefined;
  if (crc32(value.subarray(4)) !== value.readUInt32LE(0)) return undefined;
  return new Uint8Array(value.subarray(8));
}

/** The value of a tombstone `A` record. */
export const TOMBSTONE = encodeAck(0, new Uint8Array(0));

export function encodeWatermark(seq: number): Buffer {
  const value = Buffer.allocUnsafe(8);
  value.writeUInt32BE(Math.floor(seq / TWO_32), 0);
  value.writeUInt32BE(seq % TWO_32, 4);
  return value;
}

/** The stored watermark, 0 when absent or malformed. */
export function decodeWatermark(value: Buffer | undefined): number {
  if (!value || value.length !== 8) return 0;
  return value.readUInt32BE(0) * TWO_32 + value.readUInt32BE(4);
}
