import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  Backoff, errorCode, isRetriable, parseDuration, Sleeper, type EventDrivenSource, type SluiceEvent, type SourceContext,
} from '@sluice/core';
import { fingerprintOf, prefixMatches, readPrefix, type Fingerprint } from './fingerprint.js';
import { expandGlob, globBase } from './glob.js';
import { readPositionFile, writePositionFile, type PositionEntry } from './position-file.js';
import type { OverflowPolicy, ReadyRecord, RecordReaderOptions } from './record-reader.js';
import { TailedFile } from './tailed-file.js';

/** Config of the `taildir` source (validated against its schema, defaults applied). */
export interface TaildirSourceConfig {
  filegroups: Record<string, string>;
  headers: Record<string, Record<string, string>>;
  positionFile: string;
  skipToEnd: boolean;
  fileHeader: boolean;
  fileHeaderKey: string;
  batchSize: number;
  maxLineLength: number;
  lineOverflow: OverflowPolicy;
  multilineStartPattern: string;
  multilineTimeout: string;
  idleTimeout: string;
  pollInterval: string;
  writePosInterval: string;
  readBufferSize: number;
}

/** How long a truncated file's last fingerprint is remembered to recognise its copy. */
const TRUNCATION_MEMORY_MS = 60_000;
/** How long a file whose copy was found waits for its truncation before reading on. */
const COPY_FREEZE_MS = 10_000;
/** Batches read from one file before the next file gets a turn. */
const ROUNDS_PER_FILE = 16;

const STOPPED = Symbol('stopped');

interface Truncation { fingerprint: Fingerprint; pos: number; at: number }

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
  private readonly files = new Map<string, TailedFile>();
  private readonly restored = new Map<string, PositionEntry>();
  private readonly truncations: Truncation[] = [];
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
      multilineStart: config.multilineStartPattern ? new RegExp(config.multilineStartPattern) : undefined,
    };
    this.positionFile = config.positionFile
      ? path.resolve(config.positionFile)
      : path.join(ctx.dataDir, 'taildir_position.json');
    this.pollMs = parseDuration(config.pollInterval);
    this.idleMs = parseDuration(config.idleTimeout);
    this.multilineMs = parseDuration(config.multilineTimeout);
    this.writePosMs = parseDuration(config.writePosInterval);
    ctx.metrics.gauge('OpenFileCount', () => [...this.files.values()].filter((f) => f.handle).length);
  }

  /** Files currently followed (open or idle-closed), by path, with their committed positions. */
  get positions(): ReadonlyMap<string, number> {
    return new Map([...this.files.values()].map((f) => [f.path, f.commitPos]));
  }

  async start(): Promise<void> {
    if (this.loop) return;
    for (const entry of await readPositionFile(this.positionFile)) {
      this.restored.set(entry.dev === undefined ? `*:${entry.inode}` : `${entry.dev}:${entry.inode}`, entry);
    }
    await this.scan(true);
    this.running = true;
    this.ctx.metrics.startTime = Date.now();
    this.loop = this.run();
    this.ctx.logger.info({ files: this.files.size, positionFile: this.positionFile }, 'taildir source tailing');
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.running = false;
    this.sleeper.wake();
    this.retrySleeper.wake();
    await loop;
    this.loop = undefined;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.positionWrite;
    try {
      await writePositionFile(this.positionFile, this.positionEntries());
    } catch (err) {
      this.ctx.logger.error({ err, positionFile: this.positionFile }, 'could not write the taildir position file on stop');
    }
    for (const file of this.files.values()) await file.close();
    this.files.clear();
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
    for (const file of [...this.files.values()]) {
      if (!this.running) break;
      if (!file.handle) continue;
      const status = await file.check();
      const now = Date.now();
      if (status === 'truncated') this.onTruncated(file, now);
      if (file.frozenUntil > now) continue;
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
    this.truncations.push({ fingerprint: file.fingerprint, pos: file.commitPos, at: now });
    while (this.truncations.length > 0 && now - this.truncations[0]!.at > TRUNCATION_MEMORY_MS) this.truncations.shift();
    this.ctx.metrics.inc('FileTruncatedCount');
    this.ctx.logger.info({ file: file.path, committed: file.commitPos }, 'file was truncated; reading it again from the start');
    file.restart();
    this.positionsDirty = true;
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
    const events = new Array<SluiceEvent>(records.length);
    for (let i = 0; i < records.length; i++) {
      const headers: Record<string, string> = fixed ? { ...fixed } : {};
      if (fileKey) headers[fileKey] = file.path;
      events[i] = { headers, body: records[i]!.body };
    }
    return events;
  }

  private async closeIdle(file: TailedFile): Promise<void> {
    await file.close();
    if (!file.matched) {
      this.files.delete(file.key);
      this.positionsDirty = true;
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
    const entries = this.positionEntries();
    this.positionsDirty = false;
    this.lastPositionWrite = Date.now();
    this.positionWrite = writePositionFile(this.positionFile, entries)
      .catch((err: unknown) => {
        this.positionsDirty = true;
        this.ctx.metrics.inc('PositionWriteFail');
        this.ctx.logger.error({ err, positionFile: this.positionFile }, 'could not write the taildir position file; retrying after the next batch');
      })
      .finally(() => {
        this.positionWrite = undefined;
        if (this.running && this.writePosMs === 0) this.maybeWritePositions();
      });
  }

  private positionEntries(): PositionEntry[] {
    return [...this.files.values()].map((f) => ({
      inode: f.ino, pos: f.commitPos, file: f.path, dev: f.dev, group: f.group, fpLength: f.fingerprint.length, fp: f.fingerprint.hash,
    }));
  }

  /** Matches the globs against the disk: new files, renamed files, files gone. */
  private async scan(initial: boolean): Promise<void> {
    this.scanDue = false;
    this.lastScan = Date.now();
    const claimed = new Set<string>();
    const seen = new Set<string>();
    for (const [group, pattern] of Object.entries(this.config.filegroups)) {
      this.ensureWatcher(globBase(pattern));
      for (const file of await expandGlob(pattern)) {
        if (claimed.has(file) || file === this.positionFile || file === `${this.positionFile}.tmp`) continue;
        claimed.add(file);
        let st;
        try {
          st = await stat(file);
        } catch {
          continue;
        }
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const known = this.files.get(key);
        if (known) {
          if (known.path !== file) {
            this.ctx.logger.debug({ from: known.path, to: file }, 'tailed file was renamed');
            known.path = file;
            this.positionsDirty = true;
          }
          known.matched = true;
          if (!known.handle && st.size !== known.reader.readPos) await known.reopen();
          continue;
        }
        await this.track(file, group, initial);
      }
    }
    for (const file of this.files.values()) {
      if (seen.has(file.key)) continue;
      file.matched = false;
      if (!file.handle) {
        this.files.delete(file.key);
        this.positionsDirty = true;
      }
    }
    if (initial) {
      await this.adoptMoved();
      this.restored.clear();
    }
  }

  /** Starts following a file not seen before (or known only from the position file). */
  private async track(file: string, group: string, initial: boolean, entry?: PositionEntry): Promise<boolean> {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      this.ctx.metrics.inc('EventReadFail');
      this.ctx.logger.warn({ err: error, file }, 'cannot open a matched file; will retry at the next scan');
      return false;
    }
    const st = await handle.stat();
    const key = `${st.dev}:${st.ino}`;
    if (this.files.has(key)) {
      await handle.close();
      return false;
    }
    const prefix = await readPrefix(handle, st.size);
    const restored = entry ?? this.restored.get(key) ?? this.restored.get(`*:${st.ino}`);
    let start: number;
    let how: string;
    if (restored && restored.pos <= st.size && (restored.fp === undefined || prefixMatches({ length: restored.fpLength ?? 0, hash: restored.fp }, prefix))) {
      start = restored.pos;
      how = 'position file';
    } else {
      const copy = this.findCopyOf(prefix, key);
      if (copy) {
        start = Math.min(copy.pos, st.size);
        how = 'copy of a tailed file';
        if (copy.original) copy.original.frozenUntil = Date.now() + COPY_FREEZE_MS;
      } else if (initial && this.config.skipToEnd) {
        start = st.size;
        how = 'skipToEnd';
      } else {
        start = 0;
        how = 'new file';
      }
    }
    const tailed = new TailedFile(key, st.dev, st.ino, file, group, start, fingerprintOf(prefix), handle, this.readerOptions);
    this.files.set(key, tailed);
    this.positionsDirty = true;
    this.ctx.logger.info({ file, group, position: start, how }, 'following file');
    return true;
  }

  /**
   * A new file whose first bytes equal those of a file being followed, of one truncated in the
   * last minute, or (at start-up) of one in the position file, is its copy (logrotate
   * copytruncate): continue from the original's position.
   */
  private findCopyOf(prefix: Buffer, key: string): { pos: number; original?: TailedFile } | undefined {
    if (prefix.length === 0) return undefined;
    for (const file of this.files.values()) {
      if (file.key === key || file.fingerprint.length === 0) continue;
      if (prefixMatches(file.fingerprint, prefix)) return { pos: file.commitPos, original: file };
    }
    // At start-up: the copy of a file from the position file, made while the agent was down.
    for (const [restoredKey, entry] of this.restored) {
      if (restoredKey === key || restoredKey === `*:${key.split(':')[1]}` || !entry.fp || !entry.fpLength) continue;
      if (prefixMatches({ length: entry.fpLength, hash: entry.fp }, prefix)) return { pos: entry.pos };
    }
    for (let i = this.truncations.length - 1; i >= 0; i--) {
      const truncation = this.truncations[i]!;
      if (truncation.fingerprint.length > 0 && prefixMatches(truncation.fingerprint, prefix)) return { pos: truncation.pos };
    }
    return undefined;
  }

  /**
   * Files in the position file that no glob matches any more were renamed while the agent was
   * down (rotated to a name outside the group): find them by inode beside their old path and
   * drain them.
   */
  private async adoptMoved(): Promise<void> {
    for (const entry of this.restored.values()) {
      const dir = path.dirname(entry.file);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const candidate = path.join(dir, name);
        let st;
        try {
          st = await stat(candidate);
        } catch {
          continue;
        }
        if (st.ino !== entry.inode || (entry.dev !== undefined && st.dev !== entry.dev) || !st.isFile()) continue;
        if (this.files.has(`${st.dev}:${st.ino}`)) break;
        const group = entry.group !== undefined && entry.group in this.config.filegroups ? entry.group : Object.keys(this.config.filegroups)[0]!;
        if (await this.track(candidate, group, true, entry)) this.files.get(`${st.dev}:${st.ino}`)!.matched = false;
        break;
      }
    }
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
