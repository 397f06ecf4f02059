import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import {
  createHeaders, Backoff, errorCode, isRetriable, parseDuration, Sleeper, type EventDrivenSource, type SluiceEvent, type SourceContext, type Amount,
} from '@sluice/core';
import { compilePattern } from './compile-pattern.js';
import { FileTracker } from './file-tracker.js';
import { globBase } from './glob.js';
import { readPositionFile, writePositionFile } from './position-file.js';
import type { OverflowPolicy, ReadyRecord, RecordReaderOptions } from './record-reader.js';
import type { TailedFile } from './tailed-file.js';

/** Config of the `taildir` source (validated against its schema, defaults applied). */
export interface TaildirSourceConfig {
  filegroups: Record<string, string>;
  headers: Record<string, Record<string, string>>;
  positionFile: string;
  skipToEnd: boolean;
  fileHeader: boolean;
  fileHeaderKey: string;
  byteOffsetHeader: boolean;
  batchSize: number;
  maxLineLength: number;
  lineOverflow: OverflowPolicy;
  multilineStartPattern: string;
  multilineTimeout: string;
  idleTimeout: Amount;
  pollInterval: string;
  writePosInterval: Amount;
  readBufferSize: number;
}

/** Batches read from one file before the next file gets a turn. */
const ROUNDS_PER_FILE = 16;

const STOPPED = Symbol('stopped');

/**
 * Follows the files matched by its file groups and delivers one event per line (or per
 * multi-line record). Files are known by device + inode + a fingerprint of their first bytes, so
 * a rename (logrotate `create`) keeps reading the same file to its end, a truncation
 * (`copytruncate`) restarts at 0 and the copy continues where the original was, and a reused
 * inode is read as a new file.
 *
 * Guarantee: the position file holds, per file, the offset just past the last record committed
 * to every required channel, and is replaced atomically; after a crash reading resumes there,
 * so at most the batch in flight is delivered twice. Lines appended after a copytruncate copy and
 * before its truncation are lost (a limit of copytruncate itself).
 */
export class TaildirSource implements EventDrivenSource {
  readonly name: string;
  private readonly tracker: FileTracker;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly sleeper = new Sleeper();
  private readonly retrySleeper = new Sleeper();
  private readonly readerOptions: RecordReaderOptions;
  private readonly positionFile: string;
  private readonly pollMs: number;
  private readonly idleMs: number;
  private readonly multilineMs: number;
  private readonly writePosMs: number;
  private loop: Promise<void> | undefined;
  private running = false;
  private scanDue = true;
  /** A watch event arrived since the loop last looked: do not sleep. */
  private nudged = false;
  private lastScan = 0;
  /** Positions committed since the last position file write began. */
  private positionsDirty = false;
  private lastPositionWrite = 0;
  /** The position file write in progress (at most one; temp + rename costs a disk round trip). */
  private positionWrite: Promise<void> | undefined;

  constructor(private readonly config: TaildirSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.readerOptions = {
      maxLineLength: config.maxLineLength,
      overflow: config.lineOverflow,
      multilineStart: config.multilineStartPattern ? compilePattern(config.multilineStartPattern, `taildir source '${ctx.name}'`, 'multilineStartPattern') : undefined,
    };
    this.positionFile = config.positionFile
      ? path.resolve(config.positionFile)
      : path.join(ctx.dataDir, 'taildir_position.json');
    this.tracker = new FileTracker({
      filegroups: config.filegroups, skipToEnd: config.skipToEnd, positionFile: this.positionFile,
      readerOptions: this.readerOptions, logger: ctx.logger, metrics: ctx.metrics,
    });
    this.pollMs = parseDuration(config.pollInterval);
    this.idleMs = parseDuration(config.idleTimeout, 'ms');
    this.multilineMs = parseDuration(config.multilineTimeout);
    this.writePosMs = parseDuration(config.writePosInterval, 'ms');
    ctx.metrics.gauge('OpenFileCount', () => [...this.tracker.files.values()].filter((f) => f.handle).length);
  }

  /** Files currently followed (open or idle-closed), by path, with their committed positions. */
  get positions(): ReadonlyMap<string, number> {
    return new Map([...this.tracker.files.values()].map((f) => [f.path, f.commitPos]));
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.tracker.restore(await readPositionFile(this.positionFile));
    try {
      await this.scan(true);
    } catch (error) {
      this.closeWatchers();
      for (const file of this.tracker.files.values()) await file.close();
      this.tracker.files.clear();
      throw error;
    }
    this.running = true;
    this.ctx.metrics.startTime = Date.now();
    this.loop = this.run();
    this.ctx.logger.info({ files: this.tracker.files.size, positionFile: this.positionFile }, 'taildir source tailing');
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.running = false;
    this.sleeper.wake();
    this.retrySleeper.wake();
    await loop;
    this.loop = undefined;
    this.closeWatchers();
    await this.positionWrite;
    try {
      await writePositionFile(this.positionFile, this.tracker.positionEntries());
    } catch (err) {
      this.ctx.logger.error({ err, positionFile: this.positionFile }, 'could not write the taildir position file on stop');
    }
    for (const file of this.tracker.files.values()) await file.close();
    this.tracker.files.clear();
    this.ctx.metrics.stopTime = Date.now();
  }

  private async run(): Promise<void> {
    const failures = new Backoff(100, 5000);
    while (this.running) {
      this.nudged = false;
      try {
        if (this.scanDue || Date.now() - this.lastScan >= this.pollMs) await this.scan(false);
        const progressed = await this.cycle();
        failures.reset();
        if (!this.running) break;
        if (!progressed) {
          this.maybeWritePositions();
          if (!this.nudged) await this.sleeper.sleep(this.pollMs);
        }
      } catch (error) {
        if (error === STOPPED) break;
        const delay = failures.next();
        this.ctx.metrics.inc('EventReadFail');
        this.ctx.logger.warn({ err: error, code: errorCode(error), retryInMs: delay }, 'taildir read failed; retrying');
        this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
        await this.sleeper.sleep(delay);
      }
    }
  }

  /** Reads and delivers what the open files have; true when something was delivered. */
  private async cycle(): Promise<boolean> {
    let progressed = false;
    for (const file of [...this.tracker.files.values()]) {
      if (!this.running) break;
      if (!file.handle) continue;
      const status = await file.check();
      const now = Date.now();
      if (status === 'truncated') this.onTruncated(file, now);
      let delivered = false;
      for (let round = 0; round < ROUNDS_PER_FILE && this.running; round++) {
        if (file.reader.pending < this.config.batchSize) {
          const before = file.reader.splitCount + file.reader.droppedCount;
          await file.readMore(this.config.readBufferSize);
          if (file.reader.splitCount + file.reader.droppedCount !== before) this.countOverflow(file);
        }
        if (file.reader.pending === 0 && file.reader.hasOpenRecord && Date.now() - file.lastDataAt >= this.multilineMs) {
          file.reader.flushRecord();
        }
        const records = file.reader.take(this.config.batchSize);
        if (records.length === 0) break;
        await this.deliver(file, records);
        delivered = true;
      }
      progressed ||= delivered;
      if (!delivered && !file.reader.hasOpenRecord && now - file.lastDataAt >= this.idleMs) await this.closeIdle(file);
    }
    return progressed;
  }

  private countOverflow(file: TailedFile): void {
    const { split, dropped } = file.takeOverflowCounts();
    if (split > 0) this.ctx.metrics.inc('LineSplitCount', split);
    if (dropped > 0) this.ctx.metrics.inc('LineDroppedCount', dropped);
    this.ctx.logger.warn({ file: file.path, split, dropped, maxLineLength: this.config.maxLineLength, lineOverflow: this.config.lineOverflow },
      'lines longer than maxLineLength');
  }

  private onTruncated(file: TailedFile, now: number): void {
    this.ctx.metrics.inc('FileTruncatedCount');
    this.ctx.logger.info({ file: file.path, committed: file.commitPos }, 'file was truncated; reading it again from the start');
    this.tracker.truncated(file, now);
    this.takeTrackerChanges();
  }

  private async deliver(file: TailedFile, records: ReadyRecord[]): Promise<void> {
    const events = this.toEvents(file, records);
    const backoff = new Backoff(100, 5000);
    for (;;) {
      try {
        await this.ctx.deliver(events);
        break;
      } catch (error) {
        if (!this.running) throw STOPPED;
        const delay = backoff.next();
        const level = !isRetriable(error) ? 'error' : errorCode(error) === 'SLUICE_CHANNEL_FULL' || backoff.failures > 3 ? 'debug' : 'warn';
        this.ctx.logger[level]({ err: error, code: errorCode(error), file: file.path, retryInMs: delay }, 'taildir batch refused; retrying it');
        await this.retrySleeper.sleep(delay);
        if (!this.running) throw STOPPED;
      }
    }
    file.commitPos = records[records.length - 1]!.end;
    this.positionsDirty = true;
    this.maybeWritePositions();
    // With writePosInterval 0 the next batch waits until this one is recorded: a crash repeats at
    // most the batch in flight.
    if (this.writePosMs === 0) await this.positionWrite;
  }

  private toEvents(file: TailedFile, records: ReadyRecord[]): SluiceEvent[] {
    const fixed = this.config.headers[file.group];
    const fileKey = this.config.fileHeader ? this.config.fileHeaderKey : undefined;
    const offsets = this.config.byteOffsetHeader;
    const events = new Array<SluiceEvent>(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const headers = createHeaders(fixed);
      if (fileKey) headers[fileKey] = file.path;
      if (offsets) headers.byteoffset = String(record.start);
      events[i] = { headers, body: record.body };
    }
    return events;
  }

  private async closeIdle(file: TailedFile): Promise<void> {
    await file.close();
    if (!file.matched) {
      this.tracker.forget(file);
      this.takeTrackerChanges();
      this.ctx.logger.debug({ file: file.path }, 'finished a file no longer matched by its group');
    }
  }

  /**
   * Starts a position file write when positions changed (and writePosInterval allows). One write
   * at a time; with writePosInterval 0, `deliver` awaits it after every commit.
   */
  private maybeWritePositions(): void {
    if (!this.positionsDirty || this.positionWrite) return;
    if (this.writePosMs > 0 && Date.now() - this.lastPositionWrite < this.writePosMs) return;
    const entries = this.tracker.positionEntries();
    this.positionsDirty = false;
    this.lastPositionWrite = Date.now();
    let failed = false;
    this.positionWrite = writePositionFile(this.positionFile, entries)
      .catch((err: unknown) => {
        failed = true;
        this.positionsDirty = true;
        this.ctx.metrics.inc('PositionWriteFail');
        this.ctx.logger.error({ err, positionFile: this.positionFile }, 'could not write the taildir position file; retrying after the next batch');
      })
      .finally(() => {
        this.positionWrite = undefined;
        // Positions committed meanwhile are written at once; after a failure, at the next batch or poll.
        if (!failed && this.running && this.writePosMs === 0) this.maybeWritePositions();
      });
  }

  /** Rescans the globs (through the tracker) and watches their directories. */
  private async scan(initial: boolean): Promise<void> {
    this.scanDue = false;
    this.lastScan = Date.now();
    for (const pattern of Object.values(this.config.filegroups)) this.ensureWatcher(globBase(pattern));
    await this.tracker.scan(initial);
    this.takeTrackerChanges();
  }

  private takeTrackerChanges(): void {
    if (!this.tracker.changed) return;
    this.tracker.changed = false;
    this.positionsDirty = true;
  }

  private closeWatchers(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private ensureWatcher(dir: string): void {
    if (this.watchers.has(dir)) return;
    try {
      const positionName = path.basename(this.positionFile);
      const watcher = watch(dir, { persistent: false }, (event, name) => {
        // Our own position file writes are no news.
        if (path.dirname(this.positionFile) === dir && (name === positionName || name === `${positionName}.tmp`)) return;
        if (event === 'rename') this.scanDue = true;
        this.nudged = true;
        this.sleeper.wake();
      });
      watcher.on('error', () => {
        watcher.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, watcher);
    } catch {
      // the directory does not exist yet: polling finds files there; watching is retried each scan
    }
  }
}
