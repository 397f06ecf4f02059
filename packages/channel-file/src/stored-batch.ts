import type { SluiceEvent } from '@sluice/core';
import type { DataFile } from './data-file.js';

/**
 * The in-memory index entry of one stored put-batch. The channel keeps one per live batch (not one
 * per event): where its record is, the event count, which events are consumed (taken and
 * committed), and, while memory allows, the decoded events so a flowing channel never reads back
 * what it wrote.
 */
export class StoredBatch {
  /** The data file holding the record, once written. */
  file: DataFile | undefined;
  /** The record's offset in `file`. */
  offset = 0;
  /** Events taken and committed; at `count` the batch is gone. */
  consumedCount = 0;
  /** Bit i set = event i consumed. Allocated on the first consumption. */
  consumed: Uint8Array | undefined;
  /** Whether an `A` record for this batch exists in the index (so its end must remove it too). */
  ackStored = false;
  /** Decoded events, when cached or loaded. */
  events: SluiceEvent[] | undefined;
  /** Body bytes of `events` while cached, for the cache budget. */
  cachedBytes = 0;
  /** The read in progress, shared by concurrent takers. */
  loading: Promise<SluiceEvent[] | undefined> | undefined;
  /** Set when the stored value failed verification; its events are skipped. */
  corrupt = false;

  /** `bytes` is the length of the batch's record. */
  constructor(readonly seq: number, readonly count: number, readonly bytes: number) {}

  get fullyConsumed(): boolean {
    return this.consumedCount >= this.count;
  }

  /** Marks events [from, to) consumed. */
  markConsumed(from: number, to: number): void {
    const bits = (this.consumed ??= new Uint8Array(Math.ceil(this.count / 8)));
    for (let i = from; i < to; i++) bits[i >> 3]! |= 1 << (i & 7);
    this.consumedCount += to - from;
  }

  /** Undoes {@link markConsumed} (the write that recorded it failed). */
  unmarkConsumed(from: number, to: number): void {
    const bits = this.consumed!;
    for (let i = from; i < to; i++) bits[i >> 3]! &= ~(1 << (i & 7));
    this.consumedCount -= to - from;
  }

  /** The unconsumed ranges [from, to), in order; used at start-up to rebuild the queue. */
  unconsumedRanges(): [number, number][] {
    if (!this.consumed) return [[0, this.count]];
    const ranges: [number, number][] = [];
    let start = -1;
    for (let i = 0; i < this.count; i++) {
      const taken = (this.consumed[i >> 3]! & (1 << (i & 7))) !== 0;
      if (!taken && start < 0) start = i;
      if (taken && start >= 0) {
        ranges.push([start, i]);
        start = -1;
      }
    }
    if (start >= 0) ranges.push([start, this.count]);
    return ranges;
  }

  /** Restores the consumed bitmap read from disk. */
  restoreConsumed(bitmap: Uint8Array): void {
    let n = 0;
    for (let i = 0; i < this.count; i++) if ((bitmap[i >> 3]! & (1 << (i & 7))) !== 0) n++;
    this.consumed = bitmap;
    this.consumedCount = n;
    this.ackStored = true;
  }
}

/** A run of events [from, to) of one batch: the unit the take queue holds. */
export interface Segment {
  batch: StoredBatch;
  from: number;
  to: number;
}
