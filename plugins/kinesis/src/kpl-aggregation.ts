import { createHash } from 'node:crypto';
import { ProtoWriter, readFields, varintSize } from './protobuf-wire.js';

/**
 * The Kinesis Producer Library's aggregated record format, which the KCL and the
 * kinesis-aggregation libraries de-aggregate: the magic 0xF3899AC2, a protobuf `AggregatedRecord`
 * (partition_key_table = 1, explicit_hash_key_table = 2, records = 3 with partition_key_index = 1,
 * explicit_hash_key_index = 2, data = 3, tags = 4), then the MD5 of the protobuf bytes.
 * https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md
 */
export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const MD5_BYTES = 16;

/** One user record inside an aggregated record. */
export interface UserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: Buffer;
}

/** True when `data` starts with the KPL magic and is long enough to hold a digest. */
export function isAggregated(data: Uint8Array): boolean {
  return data.length >= KPL_MAGIC.length + MD5_BYTES && KPL_MAGIC.equals(data.subarray(0, KPL_MAGIC.length));
}

/**
 * Builds aggregated records, each holding user records until adding one more would exceed
 * `maxBytes` (the size of the whole Kinesis record data). The sink calls `add` per user record
 * and `finish` at the end; records are kept in their order.
 */
export class RecordAggregator {
  private keys = new Map<string, number>();
  private hashKeys = new Map<string, number>();
  private body = new ProtoWriter();
  private count = 0;

  constructor(private readonly maxBytes: number) {}

  /** How many user records the current aggregate holds. */
  get size(): number {
    return this.count;
  }

  /**
   * The encoded size the current aggregate would have with `record` added (an estimate that is
   * exact: the same arithmetic the writer does).
   */
  sizeWith(record: UserRecord): number {
    let extra = 0;
    const keyIndex = this.keys.get(record.partitionKey);
    if (keyIndex === undefined) extra += fieldSize(Buffer.byteLength(record.partitionKey));
    let hashIndex: number | undefined;
    if (record.explicitHashKey !== undefined) {
      hashIndex = this.hashKeys.get(record.explicitHashKey);
      if (hashIndex === undefined) extra += fieldSize(Buffer.byteLength(record.explicitHashKey));
    }
    const inner = 1 + varintSize(keyIndex ?? this.keys.size)
      + (record.explicitHashKey === undefined ? 0 : 1 + varintSize(hashIndex ?? this.hashKeys.size))
      + fieldSize(record.data.length);
    return KPL_MAGIC.length + this.tableBytes() + this.body.size + extra + fieldSize(inner) + MD5_BYTES;
  }

  /** True when `record` fits in the current aggregate (always true for an empty one). */
  fits(record: UserRecord): boolean {
    return this.count === 0 || this.sizeWith(record) <= this.maxBytes;
  }

  add(record: UserRecord): void {
    let keyIndex = this.keys.get(record.partitionKey);
    if (keyIndex === undefined) this.keys.set(record.partitionKey, (keyIndex = this.keys.size));
    const inner = new ProtoWriter().varint(1, keyIndex);
    if (record.explicitHashKey !== undefined) {
      let hashIndex = this.hashKeys.get(record.explicitHashKey);
      if (hashIndex === undefined) this.hashKeys.set(record.explicitHashKey, (hashIndex = this.hashKeys.size));
      inner.varint(2, hashIndex);
    }
    inner.bytes(3, record.data);
    this.body.bytes(3, inner.finish());
    this.count++;
  }

  /** The aggregated record's data, and resets the aggregator for the next one. */
  finish(): Buffer {
    const message = new ProtoWriter();
    for (const key of this.keys.keys()) message.bytes(1, key);
    for (const key of this.hashKeys.keys()) message.bytes(2, key);
    const protobuf = Buffer.concat([message.finish(), this.body.finish()]);
    this.keys = new Map();
    this.hashKeys = new Map();
    this.body = new ProtoWriter();
    this.count = 0;
    return Buffer.concat([KPL_MAGIC, protobuf, createHash('md5').update(protobuf).digest()]);
  }

  private tableBytes(): number {
    let n = 0;
    for (const key of this.keys.keys()) n += fieldSize(Buffer.byteLength(key));
    for (const key of this.hashKeys.keys()) n += fieldSize(Buffer.byteLength(key));
    return n;
  }
}

/** Bytes of a length-delimited field with a one-byte key. */
function fieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/**
 * The user records of an aggregated record, in order. Throws a RangeError when the digest does
 * not match or the protobuf is malformed; the KCL then hands the record through unchanged, and
 * so does the source (see `deaggregate` callers).
 */
export function deaggregate(data: Buffer): UserRecord[] {
  if (!isAggregated(data)) throw new RangeError('not a KPL aggregated record (no magic)');
  const protobuf = data.subarray(KPL_MAGIC.length, data.length - MD5_BYTES);
  const digest = data.subarray(data.length - MD5_BYTES);
  if (!createHash('md5').update(protobuf).digest().equals(digest)) throw new RangeError('KPL aggregated record digest mismatch');
  const keys: string[] = [];
  const hashKeys: string[] = [];
  const raw: Buffer[] = [];
  for (const { field, value } of readFields(protobuf)) {
    if (!Buffer.isBuffer(value)) continue;
    if (field === 1) keys.push(value.toString('utf8'));
    else if (field === 2) hashKeys.push(value.toString('utf8'));
    else if (field === 3) raw.push(value);
  }
  return raw.map((message) => {
    let keyIndex: number | undefined;
    let hashIndex: number | undefined;
    let body: Buffer | undefined;
    for (const { field, value } of readFields(message)) {
      if (field === 1 && typeof value === 'number') keyIndex = value;
      else if (field === 2 && typeof value === 'number') hashIndex = value;
      else if (field === 3 && Buffer.isBuffer(value)) body = value;
    }
    if (keyIndex === undefined || body === undefined || keyIndex >= keys.length) throw new RangeError('KPL user record without partition key index or data');
    if (hashIndex !== undefined && hashIndex >= hashKeys.length) throw new RangeError('KPL user record with an explicit hash key index out of range');
    return { partitionKey: keys[keyIndex]!, ...(hashIndex === undefined ? {} : { explicitHashKey: hashKeys[hashIndex]! }), data: Buffer.from(body) };
  });
}
