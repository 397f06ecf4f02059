import type { Store } from './open-store.js';
import {
  ACK_PREFIX, BATCH_PREFIX, TOMBSTONE, WATERMARK_KEY, ackKey, decodeAck, decodeWatermark, encodeWatermark,
  parseAckKey, parseBatchKey,
} from './store-keys.js';
import { StoredBatch } from './stored-batch.js';

/** One operation of a LevelDB write batch. */
export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** What start-up learned from the store, and the writes that tidy it. */
export interface StoreScan {
  /** Batches with unconsumed events, in sequence order, their consumption restored. */
  live: StoredBatch[];
  nextSeq: number;
  /** The new watermark: the first live batch, or nextSeq when there is none. */
  watermark: number;
  /** Sequences above the new watermark that keep a tombstone, ascending. */
  tombstones: number[];
  /** Deletions of consumed leftovers, the new watermark, tombstones for lost batches. */
  cleanup: BatchOp[];
  /** Batch keys too damaged to parse (dropped). */
  malformedKeys: number;
  /** Committed batches missing from the store: sequence gaps above the watermark, or consumption records without their batch. */
  lostBatches: number;
  /** The first missing sequence, for the log. */
  firstLost: number | undefined;
  /** Batches whose consumption record failed its checksum (their events are delivered again). */
  badAcks: StoredBatch[];
}

/**
 * Reads the index of a file channel store: the keys of stored batches (never their values), the
 * small consumption records, and the watermark. Its cost grows with what is stored, not with what
 * was ever consumed, since consumed batches are deleted.
 *
 * A sequence between the stored watermark and the highest known one with neither a batch key nor a
 * tombstone is a committed batch the store lost (LevelDB dropped a damaged log record or table
 * block); it is reported once and tombstoned so the next start does not count it again.
 */
export async function scanStore(db: Store): Promise<StoreScan> {
  const cleanup: BatchOp[] = [];
  const stored = decodeWatermark(await db.get(WATERMARK_KEY));
  const acks = new Map<number, Buffer>();
  for await (const [key, value] of db.iterator({ gte: Buffer.from([ACK_PREFIX]), lt: Buffer.from([ACK_PREFIX + 1]) })) {
    const seq = parseAckKey(key);
    if (seq === undefined) cleanup.push({ type: 'del', key });
    else acks.set(seq, value);
  }
  /** Every sequence at or above the stored watermark that is accounted for (stored or tombstoned). */
  const known: number[] = [];
  const live: StoredBatch[] = [];
  const badAcks: StoredBatch[] = [];
  let malformedKeys = 0;
  let maxSeq = stored - 1;
  for await (const key of db.keys({ gte: Buffer.from([BATCH_PREFIX]), lt: Buffer.from([BATCH_PREFIX + 1]) })) {
    const info = parseBatchKey(key);
    if (!info) {
      malformedKeys++;
      cleanup.push({ type: 'del', key });
      continue;
    }
    if (info.seq >= stored) known.push(info.seq);
    maxSeq = Math.max(maxSeq, info.seq);
    const batch = new StoredBatch(info.seq, info.count, info.bytes, key);
    const ack = acks.get(info.seq);
    if (ack) {
      acks.delete(info.seq);
      const bitmap = decodeAck(ack, info.count);
      if (bitmap) batch.restoreConsumed(bitmap);
      else badAcks.push(batch);
    }
    if (batch.fullyConsumed) cleanup.push({ type: 'del', key }, { type: 'del', key: ackKey(info.seq) });
    else live.push(batch);
  }
  let orphans = 0;
  for (const [seq, value] of acks) {
    const tombstone = decodeAck(value, 0) !== undefined;
    if (tombstone && seq >= stored) {
      known.push(seq);
      maxSeq = Math.max(maxSeq, seq);
    } else {
      // A consumption record whose batch is gone: that batch was lost to damage.
      if (!tombstone) orphans++;
      cleanup.push({ type: 'del', key: ackKey(seq) });
    }
  }
  known.sort((a, b) => a - b);
  const lost: number[] = [];
  if (stored > 0) {
    for (let seq = stored, i = 0; seq <= maxSeq; seq++) {
      if (known[i] === seq) i++;
      else lost.push(seq);
    }
  }
  const nextSeq = Math.max(maxSeq + 1, stored, 1);
  const watermark = live.length > 0 ? live[0]!.seq : nextSeq;
  cleanup.push({ type: 'put', key: WATERMARK_KEY, value: encodeWatermark(watermark) });
  const liveSeqs = new Set(live.map((batch) => batch.seq));
  const tombstones: number[] = [];
  for (const seq of [...known.filter((s) => !liveSeqs.has(s)), ...lost]) {
    if (seq > watermark) {
      tombstones.push(seq);
      cleanup.push({ type: 'put', key: ackKey(seq), value: TOMBSTONE });
    } else {
      cleanup.push({ type: 'del', key: ackKey(seq) });
    }
  }
  tombstones.sort((a, b) => a - b);
  return { live, nextSeq, watermark, tombstones, cleanup, malformedKeys, lostBatches: lost.length + orphans, firstLost: lost[0], badAcks };
}
