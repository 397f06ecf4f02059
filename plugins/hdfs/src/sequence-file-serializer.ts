import { randomBytes } from 'node:crypto';
import type { EventSerializer, SluiceEvent } from '@sluice/core';
import type { HadoopCodec } from './hadoop-codecs.js';

/** Flume's `hdfs.writeFormat`: how an event body becomes a SequenceFile value. */
export type WriteFormat = 'Writable' | 'Text';

const SYNC_SIZE = 16;
/** Hadoop writes a sync marker before a record once this many bytes followed the last one. */
const SYNC_INTERVAL = 100 * (4 + SYNC_SIZE);
const VALUE_CLASS: Record<WriteFormat, string> = { Writable: 'org.apache.hadoop.io.BytesWritable', Text: 'org.apache.hadoop.io.Text' };

/** Hadoop's WritableUtils.writeVLong: one byte for -112..127, else a length byte and big-endian bytes. */
export function writeVLong(value: number): Buffer {
  if (value >= -112 && value <= 127) return Buffer.from([value & 0xff]);
  let v = BigInt(value);
  let len = -112;
  if (v < 0n) {
    v = ~v;
    len = -120;
  }
  for (let tmp = v; tmp !== 0n; tmp >>= 8n) len--;
  const bytes = len < -120 ? -(len + 120) : -(len + 112);
  const out = Buffer.allocUnsafe(1 + bytes);
  out[0] = len & 0xff;
  for (let i = 0; i < bytes; i++) out[1 + i] = Number((v >> BigInt((bytes - 1 - i) * 8)) & 0xffn);
  return out;
}

/** Hadoop's Text serialization: a VInt byte length, then UTF-8. */
function text(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([writeVLong(bytes.length), bytes]);
}

function int32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(value, 0);
  return out;
}

/** The event time Flume uses as the LongWritable key: the `timestamp` header, else the agent clock. */
function eventTime(event: SluiceEvent, now: number): bigint {
  const header = event.headers.timestamp;
  if (header !== undefined && /^-?\d{1,19}$/.test(header.trim())) {
    const value = BigInt(header.trim());
    if (value >= -(2n ** 63n) && value < 2n ** 63n) return value;
  }
  return BigInt(now);
}

/**
 * Writes Hadoop SequenceFiles (version 6) the way Flume's HDFSSequenceFile does: LongWritable keys
 * (the event's `timestamp` header, else the write time) and BytesWritable (`Writable`) or Text
 * (`Text`) values holding the body. Without a codec records are stored as they are, with a sync
 * marker (an escape of -1 and the file's 16 random bytes) before the first record written
 * `SYNC_INTERVAL` bytes after the previous marker. With a codec the file is block-compressed: each
 * batch is one block (a sync marker, the record count, then key lengths, keys, value lengths and
 * values, each compressed by the codec), as Flume's per-batch sync produces.
 *
 * One instance per file: it keeps the file's sync marker and position.
 */
export class SequenceFileSerializer implements EventSerializer {
  readonly extension = 'seq';
  private readonly sync = randomBytes(SYNC_SIZE);
  private position = 0;
  private lastSync = 0;

  constructor(private readonly format: WriteFormat, private readonly codec?: HadoopCodec, private readonly clock: () => number = Date.now) {}

  header(): Buffer {
    const header = Buffer.concat([
      Buffer.from([0x53, 0x45, 0x51, 6]),
      text('org.apache.hadoop.io.LongWritable'),
      text(VALUE_CLASS[this.format]),
      Buffer.from([this.codec ? 1 : 0, this.codec ? 1 : 0]),
      this.codec ? text(this.codec.className) : Buffer.alloc(0),
      int32(0), // no metadata
      this.sync,
    ]);
    this.position = header.length;
    this.lastSync = this.position;
    return header;
  }

  serialize(events: readonly SluiceEvent[]): Buffer {
    return this.codec ? this.block(events, this.codec) : this.records(events);
  }

  private value(event: SluiceEvent): Buffer {
    if (this.format === 'Text') return text(event.body);
    return Buffer.concat([int32(event.body.length), event.body]);
  }

  private key(event: SluiceEvent, now: number): Buffer {
    const key = Buffer.allocUnsafe(8);
    key.writeBigInt64BE(eventTime(event, now), 0);
    return key;
  }

  private records(events: readonly SluiceEvent[]): Buffer {
    const parts: Buffer[] = [];
    const now = this.clock();
    for (const event of events) {
      if (this.position >= this.lastSync + SYNC_INTERVAL) {
        parts.push(int32(-1), this.sync);
        this.position += 4 + SYNC_SIZE;
        this.lastSync = this.position;
      }
      const key = this.key(event, now);
      const value = this.value(event);
      parts.push(int32(key.length + value.length), int32(key.length), key, value);
      this.position += 8 + key.length + value.length;
    }
    return Buffer.concat(parts);
  }

  private block(events: readonly SluiceEvent[], codec: HadoopCodec): Buffer {
    if (events.length === 0) return Buffer.alloc(0);
    const now = this.clock();
    const keys = events.map((e) => this.key(e, now));
    const values = events.map((e) => this.value(e));
    const section = (data: Buffer): Buffer => {
      const compressed = codec.compress(data);
      return Buffer.concat([writeVLong(compressed.length), compressed]);
    };
    const out = Buffer.concat([
      int32(-1), this.sync,
      writeVLong(events.length),
      section(Buffer.concat(keys.map((k) => writeVLong(k.length)))),
      section(Buffer.concat(keys)),
      section(Buffer.concat(values.map((v) => writeVLong(v.length)))),
      section(Buffer.concat(values)),
    ]);
    this.position += out.length;
    this.lastSync = this.position;
    return out;
  }
}
