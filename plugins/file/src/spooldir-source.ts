import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  createHeaders, Backoff, errorCode, isRetriable, parseDuration, Sleeper, SluiceError, type EventDrivenSource, type SluiceEvent, type SourceContext, type Amount,
} from '@sluice/core';
import { writeFileAtomic } from './atomic-write.js';
import { compilePattern } from './compile-pattern.js';
import { RecordReader, type OverflowPolicy, type ReadyRecord } from './record-reader.js';

/** Config of the `spooldir` source (validated against its schema, defaults applied). */
export interface SpooldirSourceConfig {
  spoolDir: string;
  fileSuffix: string;
  deletePolicy: 'never' | 'immediate';
  trackingPolicy: 'rename' | 'tracker_dir';
  trackerDir: string;
  includePattern: string;
  ignorePattern: string;
  consumeOrder: 'oldest' | 'youngest' | 'random';
  recursiveDirectorySearch: boolean;
  fileHeader: boolean;
  fileHeaderKey: string;
  basenameHeader: boolean;
  basenameHeaderKey: string;
  batchSize: number;
  maxLineLength: number;
  lineOverflow: OverflowPolicy;
  pollDelay: Amount;
  readBufferSize: number;
}

/** The suffix a refused (changed while read) file gets. */
export const FAILED_SUFFIX = '.FAILED';
const PROGRESS_FILE = '.sluice-spool-progress.json';
const STOPPED = Symbol('stopped');

/** Where reading of the current file stands, persisted after every committed batch. */
interface Progress { file: string; dev: number; ino: number; size: number; mtimeMs: number; pos: number }

interface Current { progress: Progress; handle: FileHandle; reader: RecordReader }

/**
 * Flume's spooling directory source: reads complete, immutable files dropped into `spoolDir`,
 * one at a time in `consumeOrder`, one event per line; when a file is fully committed it is
 * renamed with `fileSuffix` (or recorded in the tracker directory, or deleted). A file that
 * changes while it is read is refused with SLUICE_FILE_CHANGED and renamed with `.FAILED`.
 *
 * Guarantee: at-least-once. The offset of the current file is saved (atomically, in the tracker
 * directory) after every committed batch, so a crash repeats at most one batch; a file is
 * marked done only after its last line was committed.
 */
export class SpooldirSource implements EventDrivenSource {
  readonly name: string;
  private readonly spoolDir: string;
  private readonly trackerDir: string;
  private readonly include: RegExp;
  private readonly ignore: RegExp;
  private readonly pollMs: number;
  private readonly sleeper = new Sleeper();
  private current: Current | undefined;
  private loop: Promise<void> | undefined;
  private running = false;

  constructor(private readonly config: SpooldirSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.spoolDir = path.resolve(config.spoolDir);
    this.trackerDir = path.resolve(this.spoolDir, config.trackerDir);
    this.include = compilePattern(config.includePattern, `spooldir source '${ctx.name}'`, 'includePattern');
    this.ignore = compilePattern(config.ignorePattern, `spooldir source '${ctx.name}'`, 'ignorePattern');
    this.pollMs = parseDuration(config.pollDelay, 'ms');
  }

  async start(): Promise<void> {
    if (this.loop) return;
    const st = await stat(this.spoolDir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new SluiceError('SLUICE_CONFIG_INVALID', `spooldir source '${this.name}': spoolDir ${this.spoolDir} is not a directory; create it or fix the path`);
    }
    await mkdir(this.trackerDir, { recursive: true });
    this.running = true;
    this.ctx.metrics.startTime = Date.now();
    this.loop = this.run();
    this.ctx.logger.info({ spoolDir: this.spoolDir }, 'spooldir source watching');
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.running = false;
    this.sleeper.wake();
    await loop;
    this.loop = undefined;
    await this.current?.handle.close().catch(() => undefined);
    this.current = undefined;
    this.ctx.metrics.stopTime = Date.now();
  }

  private async run(): Promise<void> {
    const failures = new Backoff(100, 5000);
    while (this.running) {
      try {
        this.current ??= await this.openNext();
        if (!this.current) {
          await this.sleeper.sleep(this.pollMs);
          continue;
        }
        await this.step(this.current);
        failures.reset();
      } catch (error) {
        if (error === STOPPED) break;
        const delay = failures.next();
        this.ctx.metrics.inc('EventReadFail');
        this.ctx.logger.warn({ err: error, code: errorCode(error), retryInMs: delay }, 'spooldir read failed; retrying');
        this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
        await this.sleeper.sleep(delay);
      }
    }
  }

  /** Reads and delivers one batch of the current file, or finishes it at its end. */
  private async step(current: Current): Promise<void> {
    const { reader, handle, progress } = current;
    while (reader.pending < this.config.batchSize && reader.readPos < progress.size) {
      const length = Math.min(this.config.readBufferSize, progress.size - reader.readPos);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, reader.readPos);
      if (bytesRead === 0) break;
      reader.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
    }
    if (!(await this.unchanged(current))) return;
    if (reader.readPos >= progress.size) reader.finish();
    const records = reader.take(this.config.batchSize);
    if (records.length > 0) {
      await this.deliver(current, records);
      progress.pos = records[records.length - 1]!.end;
      await writeFileAtomic(path.join(this.trackerDir, PROGRESS_FILE), JSON.stringify(progress));
    }
    if (reader.readPos >= progress.size && reader.pending === 0 && !reader.hasOpenRecord) await this.complete(current);
  }

  /** False (and the file refused) when it changed since it was opened. */
  private async unchanged(current: Current): Promise<boolean> {
    const st = await current.handle.stat();
    if (st.size === current.progress.size && st.mtimeMs === current.progress.mtimeMs) return true;
    await this.refuse(current, `size ${current.progress.size} -> ${st.size}, mtime ${current.progress.mtimeMs} -> ${st.mtimeMs}`);
    return false;
  }

  private async refuse(current: Current, change: string): Promise<void> {
    const file = current.progress.file;
    const error = new SluiceError('SLUICE_FILE_CHANGED',
      `spooldir source '${this.name}': ${file} changed while being read (${change}); files must be complete before they appear in ${this.spoolDir} (write elsewhere, then rename in). It is set aside as ${file}${FAILED_SUFFIX}; lines up to byte ${current.progress.pos} were delivered.`,
      { details: { file, pos: current.progress.pos } });
    this.ctx.metrics.inc('FileChangedCount');
    this.ctx.logger.error({ err: error, code: error.code, file }, error.message);
    this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
    await this.finishFile(current, FAILED_SUFFIX, false);
  }

  private async complete(current: Current): Promise<void> {
    this.ctx.metrics.inc('FileCompletedCount');
    this.ctx.logger.info({ file: current.progress.file }, 'spooled file fully delivered');
    await this.finishFile(current, this.config.fileSuffix, this.config.deletePolicy === 'immediate');
  }

  /** Marks the current file done (renamed, tracked or deleted) and forgets its progress. */
  private async finishFile(current: Current, suffix: string, remove: boolean): Promise<void> {
    await current.handle.close().catch(() => undefined);
    this.current = undefined;
    const file = current.progress.file;
    if (remove) {
      await rm(file, { force: true });
    } else if (this.config.trackingPolicy === 'tracker_dir') {
      const marker = path.join(this.trackerDir, `${path.relative(this.spoolDir, file)}${suffix}`);
      await mkdir(path.dirname(marker), { recursive: true });
      await writeFile(marker, '');
    } else {
      let target = `${file}${suffix}`;
      if (await stat(target).then(() => true, () => false)) target = `${file}.${Date.now()}${suffix}`;
      await rename(file, target);
    }
    await rm(path.join(this.trackerDir, PROGRESS_FILE), { force: true });
  }

  private async deliver(current: Current, records: ReadyRecord[]): Promise<void> {
    const events = new Array<SluiceEvent>(records.length);
    const { fileHeader, fileHeaderKey, basenameHeader, basenameHeaderKey } = this.config;
    const file = current.progress.file;
    const base = path.basename(file);
    for (let i = 0; i < records.length; i++) {
      const headers = createHeaders();
      if (fileHeader) headers[fileHeaderKey] = file;
      if (basenameHeader) headers[basenameHeaderKey] = base;
      events[i] = { headers, body: records[i]!.body };
    }
    const backoff = new Backoff(100, 5000);
    for (;;) {
      try {
        await this.ctx.deliver(events);
        return;
      } catch (error) {
        if (!this.running) throw STOPPED;
        const delay = backoff.next();
        const level = !isRetriable(error) ? 'error' : errorCode(error) === 'SLUICE_CHANNEL_FULL' || backoff.failures > 3 ? 'debug' : 'warn';
        this.ctx.logger[level]({ err: error, code: errorCode(error), file, retryInMs: delay }, 'spooldir batch refused; retrying it');
        await this.sleeper.sleep(delay);
        if (!this.running) throw STOPPED;
      }
    }
  }

  /** Resumes the file in progress, or opens the next eligible file in consumeOrder. */
  private async openNext(): Promise<Current | undefined> {
    const saved = await this.savedProgress();
    if (saved) {
      const resumed = await this.openFile(saved.file, saved);
      if (resumed) return resumed;
    }
    const candidates = await this.candidates();
    if (candidates.length === 0) return undefined;
    let chosen: { file: string; mtimeMs: number };
    if (this.config.consumeOrder === 'random') chosen = candidates[Math.floor(Math.random() * candidates.length)]!;
    else {
      const sign = this.config.consumeOrder === 'oldest' ? 1 : -1;
      candidates.sort((a, b) => sign * (a.mtimeMs - b.mtimeMs) || a.file.localeCompare(b.file));
      chosen = candidates[0]!;
    }
    return this.openFile(chosen.file);
  }

  private async savedProgress(): Promise<Progress | undefined> {
    try {
      return JSON.parse(await readFile(path.join(this.trackerDir, PROGRESS_FILE), 'utf8')) as Progress;
    } catch {
      return undefined;
    }
  }

  private async openFile(file: string, saved?: Progress): Promise<Current | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch {
      if (saved) await rm(path.join(this.trackerDir, PROGRESS_FILE), { force: true });
      return undefined;
    }
    const st = await handle.stat();
    const progress: Progress = { file, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, pos: 0 };
    const reader = new RecordReader(0, { maxLineLength: this.config.maxLineLength, overflow: this.config.lineOverflow });
    const current: Current = { progress, handle, reader };
    if (saved) {
      if (saved.ino !== st.ino || saved.dev !== st.dev) {
        // Another file now has that name: the old one is gone; start this one from scratch.
        await rm(path.join(this.trackerDir, PROGRESS_FILE), { force: true });
      } else if (saved.size !== st.size || saved.mtimeMs !== st.mtimeMs) {
        progress.pos = saved.pos;
        await this.refuse(current, `size ${saved.size} -> ${st.size}, mtime ${saved.mtimeMs} -> ${st.mtimeMs} while the agent was down`);
        return undefined;
      } else {
        progress.pos = saved.pos;
        reader.reset(saved.pos);
      }
    }
    this.ctx.logger.info({ file, position: progress.pos }, 'reading spooled file');
    return current;
  }

  /** Eligible files: matching include, not ignore, not hidden, not finished or refused. */
  private async candidates(): Promise<{ file: string; mtimeMs: number }[]> {
    const out: { file: string; mtimeMs: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.name.startsWith('.') || full === this.trackerDir) continue;
        if (entry.isDirectory()) {
          if (this.config.recursiveDirectorySearch) await walk(full);
          continue;
        }
        if (!entry.isFile()) continue;
        if (entry.name.endsWith(this.config.fileSuffix) || entry.name.endsWith(FAILED_SUFFIX)) continue;
        if (!this.include.test(entry.name) || this.ignore.test(entry.name)) continue;
        if (this.config.trackingPolicy === 'tracker_dir' && (await this.tracked(full))) continue;
        const st = await stat(full).catch(() => undefined);
        if (st) out.push({ file: full, mtimeMs: st.mtimeMs });
      }
    };
    await walk(this.spoolDir);
    return out;
  }

  private async tracked(file: string): Promise<boolean> {
    const relative = path.relative(this.spoolDir, file);
    for (const suffix of [this.config.fileSuffix, FAILED_SUFFIX]) {
      if (await stat(path.join(this.trackerDir, `${relative}${suffix}`)).then(() => true, () => false)) return true;
    }
    return false;
  }
}
