import { existsSync } from 'node:fs';
import { mkdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import {
  BaseChannel, EventQueue, SluiceError, WaitList, parseDuration, parseSize, type Amount,
  type BaseTransaction, type ComponentContext, type SluiceEvent,
} from '@sluice/core';
import { decodeBatch, encodeBatch, encodedSize } from './batch-codec.js';
import { BufferPool } from './buffer-pool.js';
import { DataLog, type ExistingFile } from './data-log.js';
import { FileTransaction } from './file-transaction.js';
import { GroupCommitter, type GroupLanes } from './group-committer.js';
import { levelCode, openStore, repairStore, type Store } from './open-store.js';
import { scanStore, type BatchOp } from './scan-store.js';
import { SYNC_KEY, TOMBSTONE, WATERMARK_KEY, ackKey, encodeAck, encodeWatermark } from './store-keys.js';
import { StoredBatch, type Segment } from './stored-batch.js';

/** Config of the `file` channel (see the component schema for each field's meaning). */
export interface FileChannelConfig {
  dataDir: string;
  capacity: number;
  byteCapacity: Amount;
  transactionCapacity: number;
  fsync: 'always' | 'interval';
  fsyncInterval: Amount;
  minFreeSpace: Amount;
  keepAlive: Amount;
  maxFileSize: Amount;
}

/** One transaction's share of a group write: the batch it puts (if any) and the segments it consumed. */
export interface CommitEntry {
  put?: { batch: StoredBatch; record: Buffer; events: SluiceEvent[]; bodyBytes: number };
  takes: readonly Segment[];
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Body bytes of decoded events kept in memory so a flowing channel never reads back what it just
 * wrote (32 batches of 1000 256-byte events). Deliberately small: cached events are young objects
 * that every young-generation GC copies while a backlog waits, which cost more than reading a
 * batch back from the page cache and decoding it when its turn comes. File bench (a source faster
 * than its sink): 1.25-1.64M events/s at 8 MiB against 1.15-1.17M at 64 MiB, peak RSS 164-175 MB
 * against 328 MB.
 */
const CACHE_BYTES = 8 * 1024 * 1024;
const FREE_SPACE_REFRESH_MS = 1000;

/**
 * A durable channel on local disk. Each committed put-batch is one checksummed record appended to
 * a data file ({@link DataLog}), so a commit costs one synchronous write; a small LevelDB
 * index records consumption (a watermark, partial-consumption bitmaps, tombstones). A take
 * reserves events in memory and its commit records consumption; a data file is deleted whole once
 * none of its batches is live. Commits are written in groups ({@link GroupCommitter}): every put
 * that arrives while a put's write is in flight shares the next write and its fsync, and take
 * commits (index writes, never fsynced on the commit path) are written meanwhile, so a sink never
 * waits for a source's fsync. Start-up reads record headers only, so
 * its cost does not depend on how much was ever consumed, and damaged records are skipped,
 * counted (CorruptBatchCount, CorruptEventCount) and logged instead of stopping the channel.
 *
 * Guarantee: with `fsync: always`, an event is on disk before the commit that put it resolves;
 * with `fsync: interval`, it is in the OS (surviving a process crash) and on disk within
 * fsyncInterval. Put commits resolve in submission order; when a write fails, the put commits
 * pending behind it fail too, unwritten, and the data file is cut back to where that write began,
 * so what is stored (and what a restart finds) is always a prefix of the puts made. Taken events are removed only when the take commits; after a crash they are
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
  private readonly maxFileBytes: number;

  private db: Store | undefined;
  private log: DataLog | undefined;
  private readonly queue = new EventQueue<Segment>();
  private readonly buffers = new BufferPool();
  private readonly committer = new GroupCommitter<CommitEntry>(
    (group, lanes) => this.writeGroup(group, lanes),
    (entry) => ({ data: entry.put !== undefined, index: entry.put === undefined || entry.takes.length > 0 }),
    (entries) => this.discardUnwritten(entries),
  );
  /** Committed events not yet consumed, including those reserved by open takes. */
  private held = 0;
  /** Events and stored bytes of puts whose commit is in flight (counted against capacity). */
  private reservedEvents = 0;
  private reservedBytes = 0;
  /** Stored bytes of live batches (their records), for byteCapacity. */
  private storedBytes = 0;
  private cachedBytes = 0;
  private nextSeq = 1;
  /** The lowest sequence handed to a commit whose write has not settled yet (nextSeq when none). */
  private unsettledFrom = 1;
  /** Sequences whose write failed: never stored, so they need a tombstone unless the watermark passes them. */
  private abandoned: number[] = [];
  private freeBytes = Number.POSITIVE_INFINITY;
  private writtenSinceStatfs = 0;
  /** The index holds writes not yet fsynced (consumption records are written without sync). */
  private indexUnsynced = false;
  private readonly drops = new Set<StoredBatch>();
  /** Live (not fully consumed) batches in sequence order. */
  private readonly live = new Map<number, StoredBatch>();
  /** The stored watermark: every batch below it is gone on purpose. */
  private watermark = 0;
  /** Sequences above the watermark with a tombstone in the index, ascending. */
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
    this.keepAliveMs = parseDuration(config.keepAlive, 's');
    this.minFree = parseSize(config.minFreeSpace);
    this.syncEachCommit = config.fsync === 'always';
    this.fsyncIntervalMs = parseDuration(config.fsyncInterval, 's');
    this.maxFileBytes = parseSize(config.maxFileSize);
    ctx.metrics.gauge('ChannelBytesOnDisk', () => this.log?.bytesOnDisk ?? 0);
    for (const counter of ['StoreWriteCount', 'StoreReadCount', 'FsyncCount', 'FsyncTimeMillis', 'CorruptEventCount', 'CorruptBatchCount', 'StoreRepairCount', 'DataFileDeleteCount']) ctx.metrics.inc(counter, 0);
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
      await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `file channel '${this.name}' cannot create dataDir ${this.dataDir}; check the path and permissions`, { cause });
    }
    if (existsSync(path.join(this.dataDir, 'CURRENT'))) {
      // Sluice 0.1 kept whole batches in a LevelDB store right in dataDir; reading past it would
      // silently skip the events it still holds.
      throw new SluiceError('SLUICE_COMPONENT_START', `file channel '${this.name}': ${this.dataDir} holds a store of the earlier format (a LevelDB store with the events in it); drain it with the Sluice version that wrote it, or move it aside, then start again`, { details: { dataDir: this.dataDir } });
    }
    const indexDir = path.join(this.dataDir, 'index');
    let { db, repaired } = await openStore(indexDir, this.name, this.ctx.logger);
    let log: DataLog;
    let existing: ExistingFile[];
    try {
      ({ log, existing } = await DataLog.open(path.join(this.dataDir, 'data'), { maxFileSize: this.maxFileBytes, durableAppends: this.syncEachCommit }));
    } catch (cause) {
      await db.close();
      throw new SluiceError('SLUICE_COMPONENT_START', `file channel '${this.name}' cannot read its data files in ${this.dataDir}: ${(cause as Error).message}; check permissions`, { cause });
    }
    let scan = await this.scan(db, existing).catch(asError);
    if (scan instanceof Error && levelCode(scan) === 'LEVEL_CORRUPTION' && !repaired) {
      await db.close();
      await repairStore(indexDir, this.name, this.ctx.logger);
      ({ db, repaired } = await openStore(indexDir, this.name, this.ctx.logger));
      repaired = true;
      for (const { file } of existing) file.live = 0;
      scan = await this.scan(db, existing).catch(asError);
    }
    if (scan instanceof Error) {
      await db.close();
      await log.close();
      throw new SluiceError('SLUICE_DATA_CORRUPT', `file channel '${this.name}': cannot read the index in ${indexDir} even after repair: ${scan.message}; move the directory aside to start empty`, { cause: scan });
    }
    if (repaired) this.ctx.metrics.inc('StoreRepairCount');
    try {
      await db.batch(scan.cleanup as never, { sync: true });
      // Only now that the index says so durably may files of consumed batches go.
      this.ctx.metrics.inc('DataFileDeleteCount', await log.reclaim());
      await this.refreshFreeSpace();
    } catch (error) {
      await db.close().catch(() => undefined);
      await log.close().catch(() => undefined);
      throw error;
    }
    this.db = db;
    this.log = log;
    if (this.minFree > 0) this.every(FREE_SPACE_REFRESH_MS, () => this.refreshFreeSpace());
    // Also in `always` mode: take commits are written unsynced and get synced here at the latest.
    if (this.fsyncIntervalMs > 0) this.every(this.fsyncIntervalMs, () => this.syncNow());
    this.ctx.logger.info(
      { dataDir: this.dataDir, events: this.held, batches: scan.batches, dataFiles: existing.length, bytes: this.storedBytes, repaired, ms: Date.now() - started, fsync: this.syncEachCommit ? 'always' : 'interval' },
      'file channel started',
    );
  }

  protected override async _stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.committer.idle();
    const db = this.db;
    const log = this.log;
    this.db = undefined;
    this.log = undefined;
    if (log) {
      await log.sync().catch((err) => this.ctx.logger.error({ err }, `file channel '${this.name}': fsync of data files at stop failed`));
      await log.close();
    }
    if (db) {
      await this.syncIndex(db).catch(() => undefined);
      await db.close();
    }
    this.queue.clear();
    this.held = 0;
    this.cachedBytes = 0;
    this.stops++;
    this.wakeSpaceWaiters();
    this.ctx.logger.info({ dataDir: this.dataDir }, 'file channel stopped; committed events stay on disk');
  }

  /** Rebuilds the in-memory state from {@link scanStore} and reports any damage it found. */
  private async scan(db: Store, files: readonly ExistingFile[]): Promise<{ batches: number; cleanup: BatchOp[] }> {
    const scan = await scanStore(db, files);
    this.queue.clear();
    this.live.clear();
    this.drops.clear();
    this.abandoned = [];
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
    this.unsettledFrom = scan.nextSeq;
    this.watermark = scan.watermark;
    this.tombstones = scan.tombstones;
    for (const { file, scan: found } of files) {
      const damaged = found.damaged.reduce((sum, region) => sum + region.bytes, 0);
      if (damaged > 0) {
        this.ctx.logger.error({ file: file.path, regions: found.damaged }, `file channel '${this.name}': ${damaged} damaged bytes in ${file.path} skipped; the batches they held are counted as lost`);
      }
      if (found.tail > 0) {
        this.ctx.logger.warn({ file: file.path, bytes: found.tail }, `file channel '${this.name}': ${found.tail} bytes at the end of ${file.path} form no whole record (a write cut short by a crash, never committed); ignored`);
      }
    }
    for (const batch of scan.badAcks) this.reportCorrupt(batch, 0, 'consumption record failed its checksum; its events are delivered again');
    if (scan.malformedKeys > 0) {
      this.reportDamage(`file channel '${this.name}': skipped ${scan.malformedKeys} damaged index keys`, { keys: scan.malformedKeys }, 0);
    }
    if (scan.lostBatches > 0) {
      this.ctx.metrics.inc('CorruptBatchCount', scan.lostBatches);
      this.reportDamage(
        `file channel '${this.name}': ${scan.lostBatches} committed batches were lost to damage on disk (their event count is unknown) and are skipped`,
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
    const log = this.log;
    if (!log) throw new SluiceError('SLUICE_CHANNEL_CLOSED', `file channel '${this.name}' is stopped`);
    let record: Buffer | undefined;
    try {
      this.ctx.metrics.inc('StoreReadCount');
      record = await log.read(batch.file!, batch.offset, batch.bytes);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_RECORD_TRUNCATED') throw error;
    }
    const decoded = record === undefined ? 'missing' : decodeBatch(record, batch.seq, batch.count);
    if (typeof decoded === 'string') {
      batch.corrupt = true;
      this.reportCorrupt(batch, batch.count - batch.consumedCount, `stored batch ${batch.seq} is ${decoded === 'missing' ? 'missing' : `corrupt (${decoded})`}; its events are skipped`);
      this.drops.add(batch);
      this.committer.submit({ takes: [] }).catch((err) => this.ctx.logger.error({ err }, 'removing a corrupt batch failed'));
      return undefined;
    }
    batch.events = decoded;
    batch.cachedBytes = record!.length;
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
    const record = encodeBatch(seq, puts, size, buffer);
    const batch = new StoredBatch(seq, puts.length, record.length);
    this.reservedEvents += puts.length;
    this.reservedBytes += record.length;
    try {
      await this.committer.submit({ put: { batch, record, events: puts, bodyBytes }, takes });
    } finally {
      this.reservedEvents -= puts.length;
      this.reservedBytes -= record.length;
      // The group write that carried the record has settled (resolved or rejected).
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
          : `file channel '${this.name}' is full (${this.held}/${this.maxEvents} events, ${this.storedBytes} bytes stored); no room for ${events} events after waiting ${this.keepAliveMs} ms`);
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

  /**
   * Writes one group of the lanes it holds ({@link GroupCommitter}). Data lane: the put records as
   * one append to the data log (durable when it returns with `fsync: always`). Index lane: the
   * consumption records (takes, corrupt batches dropped, sequences abandoned by failed writes) as
   * one unsynced index write; an index-lane group runs while a data-lane group is in flight.
   * Consumption records need no fsync before they resolve: losing one to power failure means
   * redelivery, never loss, and the interval sync (or stop) persists them.
   */
  private async writeGroup(group: CommitEntry[], lanes: GroupLanes): Promise<void> {
    const db = this.db;
    const log = this.log;
    if (!db || !log) throw new SluiceError('SLUICE_CHANNEL_CLOSED', `file channel '${this.name}' is stopped; the commit was not written`);
    const records: Buffer[] = [];
    const written: StoredBatch[] = [];
    const touched = new Set<StoredBatch>();
    for (const entry of group) {
      if (entry.put) {
        records.push(entry.put.record);
        written.push(entry.put.batch);
      }
      for (const segment of entry.takes) {
        segment.batch.markConsumed(segment.from, segment.to);
        touched.add(segment.batch);
      }
    }
    // Only the index lane computes and writes consumption, so its records are built in order.
    let drops: StoredBatch[] = [];
    let abandoned: number[] = [];
    let consumption: ReturnType<FileChannel['consumptionRecords']> | undefined;
    if (lanes.index) {
      drops = [...this.drops];
      this.drops.clear();
      for (const batch of drops) touched.add(batch);
      abandoned = this.abandoned;
      this.abandoned = [];
      consumption = this.consumptionRecords(touched, abandoned);
    }

    const sync = this.syncEachCommit && records.length > 0;
    const started = process.hrtime.bigint();
    try {
      const [appended, indexed] = await Promise.allSettled([
        records.length > 0 ? log.append(records) : undefined,
        consumption && consumption.ops.length > 0 ? db.batch(consumption.ops as never, { sync: false }) : undefined,
      ]);
      if (appended.status === 'rejected') throw appended.reason;
      if (indexed.status === 'rejected') {
        // The records are written and count as live in their file; undo that as for a failed write.
        appended.value?.forEach((placement) => placement.file.live--);
        throw indexed.reason;
      }
      appended.value?.forEach((placement, i) => {
        written[i]!.file = placement.file;
        written[i]!.offset = placement.offset;
      });
    } catch (error) {
      for (const entry of group) for (const segment of entry.takes) segment.batch.unmarkConsumed(segment.from, segment.to);
      for (const batch of drops) this.drops.add(batch);
      this.abandoned.push(...abandoned, ...written.map((batch) => batch.seq));
      if (written.length > 0) {
        this.unsettledFrom = written[written.length - 1]!.seq + 1;
        // The abandoned sequences need an index write (a tombstone, or the watermark passing
        // them), which only the index lane makes: ask for one now rather than at the next take.
        if (!lanes.index) this.writeIndexSoon('recording failed writes in the index failed; retried with the next commit');
      }
      if (/no space|ENOSPC/i.test(`${(error as NodeJS.ErrnoException).code} ${(error as Error).message}`)) {
        throw new SluiceError('SLUICE_CHANNEL_FULL', `file channel '${this.name}': the disk of ${this.dataDir} is full; free space (minFreeSpace keeps a floor)`, { cause: error });
      }
      throw error;
    }
    if (written.length > 0) this.unsettledFrom = written[written.length - 1]!.seq + 1;
    this.ctx.metrics.inc('StoreWriteCount');
    if (sync) {
      this.ctx.metrics.inc('FsyncCount');
      this.ctx.metrics.inc('FsyncTimeMillis', Number(process.hrtime.bigint() - started) / 1e6);
    }
    if (consumption) {
      if (consumption.ops.length > 0) this.indexUnsynced = true;
      this.watermark = consumption.watermark;
      this.tombstones = consumption.tombstones;
    }
    this.apply(group, touched);
    if (log.reclaimable) {
      if (lanes.index) {
        // The group is applied and its commits succeed whatever happens here; a file left behind
        // is retried after the next group and at the next start.
        await this.reclaim(db, log).catch((err) => this.ctx.logger.warn({ err }, `file channel '${this.name}': deleting consumed data files failed; retried later`));
      } else {
        // An append rolled away from a file whose batches were all consumed: deleting it needs an
        // index sync, which is the index lane's work.
        this.writeIndexSoon('deleting consumed data files failed; retried later');
      }
    }
  }

  /**
   * Asks for an index-lane group with no take of its own, after a data-lane write: it records the
   * sequences abandoned by a failed write and deletes consumed data files. A failure is logged as
   * `failure`; what it would have written waits for the next index write.
   */
  private writeIndexSoon(failure: string): void {
    this.committer.submit({ takes: [] }).catch((err) => this.ctx.logger.warn({ err }, `file channel '${this.name}': ${failure}`));
  }

  /**
   * Entries rejected unwritten after an earlier group failed: their puts had sequences, which are
   * abandoned like those of a failed write so start-up does not count them as lost.
   */
  private discardUnwritten(entries: readonly CommitEntry[]): void {
    for (const entry of entries) {
      if (!entry.put) continue;
      this.abandoned.push(entry.put.batch.seq);
      this.unsettledFrom = Math.max(this.unsettledFrom, entry.put.batch.seq + 1);
    }
  }

  /**
   * The index writes that record a group's consumption: a bitmap for each partly consumed batch;
   * for batches gone (fully consumed, corrupt) or never written (abandoned), the watermark moves
   * up to the first batch still live or unsettled, and those above it get a tombstone.
   */
  private consumptionRecords(touched: ReadonlySet<StoredBatch>, abandoned: readonly number[]): { ops: BatchOp[]; watermark: number; tombstones: number[] } {
    const ops: BatchOp[] = [];
    const gone: StoredBatch[] = [];
    for (const batch of touched) {
      if (batch.fullyConsumed || batch.corrupt) gone.push(batch);
      else ops.push({ type: 'put', key: ackKey(batch.seq), value: encodeAck(batch.count, batch.consumed!) });
    }
    if (gone.length === 0 && abandoned.length === 0) return { ops, watermark: this.watermark, tombstones: this.tombstones };
    let watermark = this.unsettledFrom;
    for (const [seq, batch] of this.live) {
      if (!batch.fullyConsumed && !batch.corrupt) {
        watermark = Math.min(watermark, seq);
        break;
      }
    }
    const tombstones: number[] = [];
    for (const seq of this.tombstones) {
      if (seq > watermark) tombstones.push(seq);
      else ops.push({ type: 'del', key: ackKey(seq) });
    }
    const ended = [...gone.map((batch) => ({ seq: batch.seq, ackStored: batch.ackStored })), ...abandoned.map((seq) => ({ seq, ackStored: false }))];
    for (const { seq, ackStored } of ended) {
      if (seq > watermark) {
        // Gone out of order: a tombstone tells start-up it was not lost.
        ops.push({ type: 'put', key: ackKey(seq), value: TOMBSTONE });
        tombstones.push(seq);
      } else if (ackStored) {
        ops.push({ type: 'del', key: ackKey(seq) });
      }
    }
    tombstones.sort((a, b) => a - b);
    if (watermark !== this.watermark) ops.push({ type: 'put', key: WATERMARK_KEY, value: encodeWatermark(watermark) });
    return { ops, watermark, tombstones };
  }

  /** Deletes data files with no live batch, once the index that says so is on disk. */
  private async reclaim(db: Store, log: DataLog): Promise<void> {
    await this.syncIndex(db);
    this.ctx.metrics.inc('DataFileDeleteCount', await log.reclaim());
  }

  /** fsyncs the index when it holds unsynced writes; returns whether it did. */
  private async syncIndex(db: Store): Promise<boolean> {
    if (!this.indexUnsynced) return false;
    // Cleared first: a write landing while this sync runs marks the index again.
    this.indexUnsynced = false;
    try {
      await db.put(SYNC_KEY, Buffer.alloc(0), { sync: true });
    } catch (error) {
      this.indexUnsynced = true;
      throw error;
    }
    return true;
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
        if (this.live.delete(batch.seq)) {
          this.storedBytes -= batch.bytes;
          batch.file!.live--;
        }
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
    const db = this.db;
    const log = this.log;
    if (!db || !log) return;
    const started = process.hrtime.bigint();
    const dataSynced = await log.sync();
    const indexSynced = await this.syncIndex(db);
    if (!dataSynced && !indexSynced) return;
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
