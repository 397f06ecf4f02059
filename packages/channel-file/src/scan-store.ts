import type { ExistingFile } from './data-log.js';
import type { Store } from './open-store.js';
import { ACK_PREFIX, TOMBSTONE, WATERMARK_KEY, ackKey, decodeAck, decodeWatermark, encodeWatermark, parseAckKey } from './store-keys.js';
import { StoredBatch } from './stored-batch.js';

/** One operation of a LevelDB write batch. */
export type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** What start-up learned from the index and the data files, and the index writes that tidy it. */
export interface StoreScan {
  /** Batches with unconsumed events, in sequence order, their consumption restored and counted in their file's `live`. */
  live: StoredBatch[];
  nextSeq: number;
  /** The new watermark: the first live batch, or nextSeq when there is none. */
  watermark: number;
  /** Sequences above the new watermark that keep a tombstone, ascending. */
  tombstones: number[];
  /** The new watermark, tombstones for lost batches, deletion of records that are no longer needed. */
  cleanup: BatchOp[];
  /** Index keys too damaged to parse (dropped). */
  malformedKeys: number;
  /** Committed batches missing from the data files: sequence gaps above the watermark, or consumption records without their batch. */
  lostBatches: number;
  /** The first missing sequence, for the log. */
  firstLost: number | undefined;
  /** Batches whose consumption record failed its checksum (their events are delivered again). */
  badAcks: StoredBatch[];
}

/**
 * Rebuilds the channel's state from the index (watermark and consumption records) and the record
 * headers the data log found. Its cost grows with the data files still on disk, which hold live
 * batches (and at most the consumed rest of those files), not with what was ever consumed.
 *
 * A sequence between the stored watermark and the highest known one with neither a record nor a
 * tombstone is a committed batch that was lost to damage; it is reported once and tombstoned so
 * the next start does not count it again.
 */
export async function scanStore(db: Store, files: readonly ExistingFile[]): Promise<StoreScan> {
  const cleanup: BatchOp[] = [];
  const stored = decodeWatermark(await db.get(WATERMARK_KEY));
  const acks = new Map<number, Buffer>();
  let malformedKeys = 0;
  for await (const [key, value] of db.iterator({ gte: Buffer.from([ACK_PREFIX]), lt: Buffer.from([ACK_PREFIX + 1]) })) {
    const seq = parseAckKey(key);
    if (seq === undefined) {
      malformedKeys++;
      cleanup.push({ type: 'del', key });
    } else {
      acks.set(seq, value);
    }
  }
  /** Every sequence at or above the stored watermark that is accounted for (found or tombstoned). */
  const known: number[] = [];
  const live: StoredBatch[] = [];
  const badAcks: StoredBatch[] = [];
  const found = new Set<number>();
  let maxSeq = stored - 1;
  for (const { file, scan } of files) {
    for (const record of scan.records) {
      if (found.has(record.seq)) continue;
      found.add(record.seq);
      maxSeq = Math.max(maxSeq, record.seq);
      // Below the watermark: consumed, waiting for its file to go.
      if (record.seq < stored) continue;
      known.push(record.seq);
      const batch = new StoredBatch(record.seq, record.count, record.length);
      batch.file = file;
      batch.offset = record.offset;
      const ack = acks.get(record.seq);
      if (ack) {
        acks.delete(record.seq);
        // A tombstone: consumed out of order. It stays until the watermark passes it.
        if (decodeAck(ack, 0) !== undefined) continue;
        const bitmap = decodeAck(ack, record.count);
        if (bitmap) batch.restoreConsumed(bitmap);
        else badAcks.push(batch);
      }
      if (batch.fullyConsumed) continue;
      live.push(batch);
      file.live++;
    }
  }
  let orphans = 0;
  for (const [seq, value] of acks) {
    const tombstone = decodeAck(value, 0) !== undefined;
    if (tombstone && seq >= stored) {
      known.push(seq);
      maxSeq = Math.max(maxSeq, seq);
    } else {
      // A consumption record whose batch is gone: that batch was lost to damage.
      if (!tombstone && seq >= stored) orphans++;
      cleanup.push({ type: 'del', key: ackKey(seq) });
    }
  }
  known.sort((a, b) => a - b);
  live.sort((a, b) => a.seq - b.seq);
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
