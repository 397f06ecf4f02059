import { mkdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import {
  BaseChannel, EventQueue, SluiceError, WaitList, parseDuration, parseSize,
  type BaseTransaction, type ComponentContext, type SluiceEvent,
} from '@sluice/core';
import { decodeBatch, encodeBatch, encodedSize } from './batch-codec.js';
import { BufferPool } from './buffer-pool.js';
import { FileTransaction } from './file-transaction.js';
import { GroupCommitter } from './group-committer.js';
import { levelCode, openStore, repairStore, type Store } from './open-store.js';
import { scanStore, type BatchOp } from './scan-store.js';
import { SYNC_KEY, TOMBSTONE, WATERMARK_KEY, ackKey, encodeAck, encodeWatermark } from './store-keys.js';
import { StoredBatch, type Segment } from './stored-batch.js';

/** Config of the `file` channel (see the component schema for each field's meaning). */
export interface FileChannelConfig {
  dataDir: string;
  capacity: number;
  byteCapacity: string;
  transactionCapacity: number;
  fsync: 'always' | 'interval';
  fsyncInterval: string;
  minFreeSpace: string;
  keepAlive: string;
}

/** One transaction's share of a group write: the batch it puts (if any) and the segments it consumed. */
export interface CommitEntry {
  put?: { batch: StoredBatch; value: Buffer; events: SluiceEvent[]; bodyBytes: number };
  takes: readonly Segment[];
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Decoded events kept in memory so a flowing channel never reads back what it just wrote. */
const CACHE_BYTES = 64 * 1024 * 1024;
const FREE_SPACE_REFRESH_MS = 1000;

/**
 * A durable channel on LevelDB (classic-level). Each committed put-batch is one checksummed value;
 * a take reserves events in memory and its commit records consumption (deleting fully consumed
 * batches). Commits are written in groups: every commit that arrives while a write is in flight
 * shares the next write and its fsync. Start-up scans keys only, so its cost does not depend on
 * how much was ever consumed, and damaged records are skipped, counted (CorruptBatchCount,
 * CorruptEventCount) and logged instead of stopping the channel.
 *
 * Guarantee: with `fsync: always`, an event is on disk before the commit that put it resolves;
 * with `fsync: interval`, it is in the OS (surviving a process crash) and on disk within
 * fsyncInterval. Taken events are removed only when the take commits; after a crash they are
 * delivered again (at-least-once).
 */
export class FileChannel extends BaseChannel {
  readonly dataDir: string;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly txCapacity: number;
  readonly keepAliveMs: number;
  readonly minFree: number;
  readonly syncEachCommit: boolean;
  private readonly fsyncIntervalMs: number;

  private db: Store | undefined;
  private readonly queue = new EventQueue<Segment>();
  private readonly buffers = new BufferPool();
  private readonly committer = new GroupCommitter<CommitEntry>((group) => this.writeGroup(group));
  /** Committed events not yet consumed, including those reserved by open takes. */
  private held = 0;
  /** Events and stored bytes of puts whose commit is in flight (counted against capacity). */
  private reservedEvents = 0;
  private reservedBytes = 0;
  /** Stored bytes of live batches (the LevelDB values), for byteCapacity and the gauge. */
  private storedBytes = 0;
  private cachedBytes = 0;
  private nextSeq = 1;
  private freeBytes = Number.POSITIVE_INFINITY;
  private writtenSinceStatfs = 0;
  private unsynced = false;
  private readonly drops = new Set<StoredBatch>();
  /** Live (not fully consumed) batches in sequence order. */
  private readonly live = new Map<number, StoredBatch>();
  /** The stored watermark: every batch below it is gone on purpose. */
  private watermark = 0;
  /** Sequences above the watermark with a tombstone on disk, ascending. */
  private tombstones: number[] = [];
  private timers: NodeJS.Timeout[] = [];
  private stops = 0;
  private readonly spaceWaiters = new WaitList();

  constructor(config: FileChannelConfig, ctx: ComponentContext) {
    super(ctx);
    this.dataDir = config.dataDir === '' ? ctx.dataDir : path.resolve(config.dataDir);
    this.maxEvents = config.capacity;
    this.maxBytes = parseSize(config.byteCapacity);
    this.txCapacity = config.transactionCapacity;
    this.keepAliveMs = parseDuration(config.keepAlive);
    this.minFree = parseSize(config.minFreeSpace);
    this.syncEachCommit = config.fsync === 'always';
    this.fsyncIntervalMs = parseDuration(config.fsyncInterval);
    ctx.metrics.gauge('ChannelBytesOnDisk', () => this.storedBytes);
    for (const counter of ['StoreWriteCount', 'FsyncCount', 'FsyncTimeMillis', 'CorruptEventCount', 'CorruptBatchCount', 'StoreRepairCount']) ctx.metrics.inc(counter, 0);
  }

  get size(): number {
    return this.held;
  }

  /**
   * How many times the channel stopped. A transaction opened before a stop must not touch the
   * store afterwards (its reservations point into the old index, and a restart rebuilt it), so
   * transactions compare this with the value they were opened with.
   */
  get generation(): number {
    return this.stops;
  }

  get capacity(): number {
    return this.maxEvents;
  }

  protected _transaction(): BaseTransaction {
    return new FileTransaction(this);
  }

  protected override async _start(): Promise<void> {
    const started = Date.now();
    try {
      await mkdir(this.dataDir, { recursive: true });
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `file channel '${this.name}' cannot create dataDir ${this.dataDir}; check the path and permissions`, { cause });
    }
    let { db, repaired } = await openStore(this.dataDir, this.name, this.ctx.logger);
    let scan = await this.scan(db).catch(asError);
    if (scan instanceof Error && levelCode(scan) === 'LEVEL_CORRUPTION' && !repaired) {
      await db.close();
      await repairStore(this.dataDir, this.name, this.ctx.logger);
      ({ db, repaired } = await openStore(this.dataDir, this.name, this.ctx.logger));
      repaired = true;
      scan = await this.scan(db).catch(asError);
    }
    if (scan instanceof Error) {
      await db.close();
      throw new SluiceError('SLUICE_DATA_CORRUPT', `file channel '${this.name}': cannot read the store in ${this.dataDir} even after repair: ${scan.message}; move the directory aside to start empty`, { cause: scan });
    }
    if (repaired) this.ctx.metrics.inc('StoreRepairCount');
    try {
      await db.batch(scan.cleanup as never, { sync: true });
      await this.refreshFreeSpace();
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    this.db = db;
    if (this.minFree > 0) this.every(FREE_SPACE_REFRESH_MS, () => this.refreshFreeSpace());
    // Also in `always` mode: take commits are written unsynced and get synced here at the latest.
    if (this.fsyncIntervalMs > 0) this.every(this.fsyncIntervalMs, () => this.syncNow());
    this.ctx.logger.info(
      { dataDir: this.dataDir, events: this.held, batches: scan.batches, bytes: this.storedBytes, repaired, ms: Date.now() - started, fsync: this.syncEachCommit ? 'always' : 'interval' },
      'file channel started',
    );
  }

  protected override async _stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.committer.idle();
    const db = this.db;
    this.db = undefined;
    if (db) {
      if (this.unsynced) await db.put(SYNC_KEY, Buffer.alloc(0), { sync: true }).catch(() => undefined);
      await db.close();
    }
    this.queue.clear();
    this.held = 0;
    this.cachedBytes = 0;
    this.stops++;
    this.wakeSpaceWaiters();
    this.ctx.logger.info({ dataDir: this.dataDir }, 'file channel stopped; committed events stay on disk');
  }

  /** Rebuilds the in-memory index from {@link scanStore} and reports any damage it found. */
  private async scan(db: Store): Promise<{ batches: number; cleanup: BatchOp[] }> {
    const scan = await scanStore(db);
    this.queue.clear();
    this.live.clear();
    this.drops.clear();
    this.held = 0;
    this.storedBytes = 0;
    for (const batch of scan.live) {
      this.live.set(batch.seq, batch);
      this.storedBytes += batch.bytes;
      for (const [from, to] of batch.unconsumedRanges()) {
        this.queue.pushAll([{ batch, from, to }]);
        this.held += to - from;
      }
    }
    this.nextSeq = scan.nextSeq;
    this.watermark = scan.watermark;
    this.tombstones = scan.tombstones;
    for (const batch of scan.badAcks) this.reportCorrupt(batch, 0, 'consumption record failed its checksum; its events are delivered again');
    if (scan.malformedKeys > 0) {
      this.reportDamage(`file channel '${this.name}': skipped ${scan.malformedKeys} damaged keys`, { keys: scan.malformedKeys }, 0);
    }
    if (scan.lostBatches > 0) {
      this.ctx.metrics.inc('CorruptBatchCount', scan.lostBatches);
      this.reportDamage(
        `file channel '${this.name}': ${scan.lostBatches} committed batches were lost to damage in the store (their event count is unknown) and are skipped`,
        { batches: scan.lostBatches, first: scan.firstLost },
        0,
      );
    }
    return { batches: scan.live.length, cleanup: scan.cleanup };
  }

  // ---- used by FileTransaction -------------------------------------------------------------

  /** Removes up to `max` events' worth of segments from the head of the queue. */
  shiftSegment(max: number): Segment | undefined {
    if (this.queue.length === 0) return undefined;
    const segment = this.queue.shiftMany(1)[0]!;
    if (segment.to - segment.from > max) {
      this.queue.unshiftAll([{ batch: segment.batch, from: segment.from + max, to: segment.to }]);
      return { batch: segment.batch, from: segment.from, to: segment.from + max };
    }
    return segment;
  }

  /** Returns reserved segments to the head of the queue, in order (rollback). */
  returnSegments(segments: readonly Segment[]): void {
    if (segments.length === 0) return;
    this.queue.unshiftAll(segments);
    this.notifyReadable();
  }

  /** The events of a batch, reading and verifying them when not cached; undefined when corrupt. */
  async eventsOf(batch: StoredBatch): Promise<SluiceEvent[] | undefined> {
    if (batch.events) return batch.events;
    if (batch.corrupt) return undefined;
    batch.loading ??= this.load(batch).finally(() => {
      batch.loading = undefined;
    });
    return batch.loading;
  }

  private async load(batch: StoredBatch): Promise<SluiceEvent[] | undefined> {
    const db = this.db;
    if (!db) throw new SluiceError('SLUICE_CHANNEL_CLOSED', `file channel '${this.name}' is stopped`);
    let value: Buffer | undefined;
    try {
      value = await db.get(batch.key, { fillCache: false });
    } catch (error) {
      if (levelCode(error) !== 'LEVEL_CORRUPTION') throw error;
    }
    const decoded = value === undefined ? 'missing' : decodeBatch(value, batch.seq, batch.count);
    if (typeof decoded === 'string') {
      batch.corrupt = true;
      this.reportCorrupt(batch, batch.count - batch.consumedCount, `stored batch ${batch.seq} is ${decoded === 'missing' ? 'missing' : `corrupt (${decoded})`}; its events are skipped`);
      this.drops.add(batch);
      this.committer.submit({ takes: [] }).catch((err) => this.ctx.logger.error({ err }, 'removing a corrupt batch failed'));
      return undefined;
    }
    batch.events = decoded;
    batch.cachedBytes = value!.length;
    this.cachedBytes += batch.cachedBytes;
    return decoded;
  }

  /** Forgets the events of a segment that turned out corrupt (they were counted when detected). */
  dropSegment(segment: Segment): void {
    this.held -= segment.to - segment.from;
    this.wakeSpaceWaiters();
  }

  private reportCorrupt(batch: StoredBatch, events: number, what: string): void {
    this.ctx.metrics.inc('CorruptBatchCount');
    this.ctx.metrics.inc('CorruptEventCount', events);
    this.reportDamage(`file channel '${this.name}': ${what}`, { batch: batch.seq, events }, events);
  }

  /** Logs and emits (component.error) damage found in the store; the channel carries on. */
  private reportDamage(message: string, details: Record<string, unknown>, events: number): void {
    const error = new SluiceError('SLUICE_DATA_CORRUPT', message, { details: { dataDir: this.dataDir, ...details } });
    this.ctx.logger.error({ dataDir: this.dataDir, code: error.code, ...details }, message);
    this.ctx.telemetry.emit('component.error', this.name, events, 0, error);
  }

  /**
   * Commits one transaction's puts and consumed takes through the group committer. Waits up to
   * keepAlive for room, then fails with SLUICE_CHANNEL_FULL leaving the channel unchanged.
   */
  async commit(puts: SluiceEvent[], bodyBytes: number, takes: readonly Segment[]): Promise<void> {
    if (puts.length === 0) {
      if (takes.length > 0) await this.committer.submit({ takes });
      return;
    }
    const size = encodedSize(puts);
    await this.waitForRoom(puts.length, size);
    // The sequence is taken after any wait, so queue order and on-disk order agree.
    const seq = this.nextSeq++;
    const buffer = this.buffers.acquire(size);
    const value = encodeBatch(seq, puts, size, buffer);
    const batch = new StoredBatch(seq, puts.length, value.length);
    this.reservedEvents += puts.length;
    this.reservedBytes += value.length;
    try {
      await this.committer.submit({ put: { batch, value, events: puts, bodyBytes }, takes });
    } finally {
      this.reservedEvents -= puts.length;
      this.reservedBytes -= value.length;
      // The group write that carried the value has settled (resolved or rejected).
      this.buffers.release(buffer);
    }
  }

  private async waitForRoom(events: number, bytes: number): Promise<void> {
    if (this.hasRoom(events, bytes)) return;
    const started = Date.now();
    const deadline = started + this.keepAliveMs;
    while (!this.hasRoom(events, bytes)) {
      if (!this.running) {
        throw new SluiceError('SLUICE_CHANNEL_CLOSED', `file channel '${this.name}' stopped while a commit waited for room; nothing of it was stored`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.ctx.metrics.inc('ChannelBlockedMillis', Date.now() - started);
        const disk = this.freeBytes - this.writtenSinceStatfs - bytes < this.minFree;
        throw new SluiceError('SLUICE_CHANNEL_FULL', disk
          ? `file channel '${this.name}': free space on ${this.dataDir} would drop below minFreeSpace (${this.minFree} bytes); free disk space or lower minFreeSpace`
          : `file channel '${this.name}' is full (${this.held}/${this.maxEvents} events, ${this.storedBytes} bytes on disk); no room for ${events} events after waiting ${this.keepAliveMs} ms`);
      }
      await this.waitForSpace(left);
    }
    this.ctx.metrics.inc('ChannelBlockedMillis', Date.now() - started);
  }

  private hasRoom(events: number, bytes: number): boolean {
    const heldEvents = this.held + this.reservedEvents;
    if (heldEvents + events > this.maxEvents) return false;
    if (this.minFree > 0 && this.freeBytes - this.writtenSinceStatfs - bytes < this.minFree) return false;
    if (this.maxBytes === 0 || heldEvents === 0) return true;
    return this.storedBytes + this.reservedBytes + bytes <= this.maxBytes;
  }

  /** Writes one group (puts, consumption records, deletions) with a single LevelDB batch. */
  private async writeGroup(group: CommitEntry[]): Promise<void> {
    const db = this.db;
    if (!db) throw new SluiceError('SLUICE_CHANNEL_CLOSED', `file channel '${this.name}' is stopped; the commit was not written`);
    const ops: BatchOp[] = [];
    const puts: BatchOp[] = [];
    const touched = new Set<StoredBatch>();
    let firstPut: number | undefined;
    for (const entry of group) {
      if (entry.put) {
        puts.push({ type: 'put', key: entry.put.batch.key, value: entry.put.value });
        firstPut ??= entry.put.batch.seq;
      }
      for (const segment of entry.takes) {
        segment.batch.markConsumed(segment.from, segment.to);
        touched.add(segment.batch);
      }
    }
    const drops = [...this.drops];
    this.drops.clear();
    for (const batch of drops) touched.add(batch);

    const gone: StoredBatch[] = [];
    for (const batch of touched) {
      if (batch.fullyConsumed || batch.corrupt) gone.push(batch);
      else ops.push({ type: 'put', key: ackKey(batch.seq), value: encodeAck(batch.count, batch.consumed!) });
    }
    let watermark = this.watermark;
    let tombstones = this.tombstones;
    if (gone.length > 0) {
      watermark = firstPut ?? this.nextSeq;
      for (const [seq, batch] of this.live) {
        if (!batch.fullyConsumed && !batch.corrupt) {
          watermark = seq;
          break;
        }
      }
      tombstones = [];
      for (const seq of this.tombstones) {
        if (seq > watermark) tombstones.push(seq);
        else ops.push({ type: 'del', key: ackKey(seq) });
      }
      for (const batch of gone) {
        ops.push({ type: 'del', key: batch.key });
        if (batch.seq > watermark) {
          // Gone out of order: a tombstone tells start-up it was not lost.
          ops.push({ type: 'put', key: ackKey(batch.seq), value: TOMBSTONE });
          tombstones.push(batch.seq);
        } else if (batch.ackStored) {
          ops.push({ type: 'del', key: ackKey(batch.seq) });
        }
      }
      if (watermark !== this.watermark) ops.push({ type: 'put', key: WATERMARK_KEY, value: encodeWatermark(watermark) });
    }

    // Only puts need fsync before they resolve: a consumption record lost to power failure means
    // redelivery, never loss, and the next synced put (or the interval sync) persists it anyway.
    const sync = this.syncEachCommit && firstPut !== undefined;
    const started = process.hrtime.bigint();
    try {
      if (puts.length === 1) {
        // The common case, one source: a single put goes through db.put, which hands the value
        // to LevelDB's thread without the main-thread copy an array batch makes. Consumption
        // records need not be atomic with it (losing them means redelivery), so they go in a
        // concurrent unsynced write.
        const put = puts[0] as { key: Buffer; value: Buffer };
        const results = await Promise.allSettled([db.put(put.key, put.value, { sync }), ops.length > 0 ? db.batch(ops as never, { sync: false }) : undefined]);
        for (const result of results) if (result.status === 'rejected') throw result.reason;
      } else {
        await db.batch((puts.length > 0 ? [...puts, ...ops] : ops) as never, { sync });
      }
    } catch (error) {
      for (const entry of group) for (const segment of entry.takes) segment.batch.unmarkConsumed(segment.from, segment.to);
      for (const batch of drops) this.drops.add(batch);
      if (/no space/i.test(String((error as Error).message))) {
        throw new SluiceError('SLUICE_CHANNEL_FULL', `file channel '${this.name}': the disk of ${this.dataDir} is full; free space (minFreeSpace keeps a floor)`, { cause: error });
      }
      throw error;
    }
    this.ctx.metrics.inc('StoreWriteCount');
    if (sync) {
      // Consumption records written beside a single put may land after its fsync.
      this.unsynced = puts.length === 1 && ops.length > 0;
      this.ctx.metrics.inc('FsyncCount');
      this.ctx.metrics.inc('FsyncTimeMillis', Number(process.hrtime.bigint() - started) / 1e6);
    } else {
      this.unsynced = true;
    }
    this.watermark = watermark;
    this.tombstones = tombstones;
    this.apply(group, touched);
  }

  /** Makes a written group visible: new batches join the queue in sequence order, consumed ones go. */
  private apply(group: CommitEntry[], touched: Set<StoredBatch>): void {
    let added = false;
    let freed = false;
    for (const entry of group) {
      const put = entry.put;
      if (put) {
        const batch = put.batch;
        if (this.cachedBytes + put.bodyBytes <= CACHE_BYTES) {
          batch.events = put.events;
          batch.cachedBytes = put.bodyBytes;
          this.cachedBytes += put.bodyBytes;
        }
        this.live.set(batch.seq, batch);
        this.queue.pushAll([{ batch, from: 0, to: batch.count }]);
        this.held += batch.count;
        this.storedBytes += batch.bytes;
        this.writtenSinceStatfs += batch.bytes;
        this.ctx.logger.debug({ batch: batch.seq, events: batch.count }, 'put batch committed');
        added = true;
      }
      for (const segment of entry.takes) {
        this.held -= segment.to - segment.from;
        freed = true;
      }
    }
    for (const batch of touched) {
      if (batch.fullyConsumed || batch.corrupt) {
        this.live.delete(batch.seq);
        this.storedBytes -= batch.bytes;
        this.cachedBytes -= batch.cachedBytes;
        batch.cachedBytes = 0;
        batch.events = undefined;
        batch.ackStored = false;
      } else {
        batch.ackStored = true;
      }
    }
    if (freed) this.wakeSpaceWaiters();
    if (added) this.notifyReadable();
  }

  private async syncNow(): Promise<void> {
    if (!this.unsynced || !this.db) return;
    this.unsynced = false;
    const started = process.hrtime.bigint();
    await this.db.put(SYNC_KEY, Buffer.alloc(0), { sync: true });
    this.ctx.metrics.inc('FsyncCount');
    this.ctx.metrics.inc('FsyncTimeMillis', Number(process.hrtime.bigint() - started) / 1e6);
  }

  private async refreshFreeSpace(): Promise<void> {
    if (this.minFree === 0) return;
    const stats = await statfs(this.dataDir);
    this.freeBytes = stats.bavail * stats.bsize;
    this.writtenSinceStatfs = 0;
    this.wakeSpaceWaiters();
  }

  private every(ms: number, work: () => Promise<void>): void {
    const timer = setInterval(() => {
      work().catch((err) => this.ctx.logger.warn({ err }, `file channel '${this.name}': background task failed`));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private waitForSpace(ms: number): Promise<void> {
    return this.spaceWaiters.wait(Math.min(ms, FREE_SPACE_REFRESH_MS));
  }

  private wakeSpaceWaiters(): void {
    this.spaceWaiters.wakeAll();
  }
}
