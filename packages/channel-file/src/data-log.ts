import { closeSync, constants, fdatasync, fstatSync, fsync, ftruncate, open, openSync, read, readdirSync, unlink, writev, close } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataFile, type Placement } from './data-file.js';
import { scanDataFile, type DataFileScan } from './scan-data-file.js';

const writevAsync = promisify(writev);
const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);
const ftruncateAsync = promisify(ftruncate);
const openAsync = promisify(open);
const closeAsync = promisify(close);
const readAsync = promisify(read);
const unlinkAsync = promisify(unlink);

const NAME = /^data-(\d{12})\.dat$/;

function fileName(id: number): string {
  return `data-${String(id).padStart(12, '0')}.dat`;
}

/** How a {@link DataLog} writes. */
export interface DataLogOptions {
  /** Size at which appends move to a new file. */
  maxFileSize: number;
  /**
   * Every append is on disk when it resolves (fsync: always). The active file is opened with
   * O_DSYNC, so the write itself waits for the disk: one system call per group instead of a write
   * and an fdatasync. Otherwise appends reach the OS and {@link DataLog.sync} flushes them.
   */
  durableAppends: boolean;
}

/** A data file found at start-up, with what its scan found. */
export interface ExistingFile {
  file: DataFile;
  scan: DataFileScan;
}

/**
 * The event bytes of a file channel: append-only data files in one directory, each a run of
 * batch records. Appends go to one active file, which rolls at `maxFileSize`; a file is deleted
 * whole once none of its batches is live. Every start appends to a fresh file, so a record cut
 * short by a crash is never followed by new data.
 *
 * Callers: the file channel only. Appends must not overlap (the channel's group committer runs
 * them one at a time); reads may run at any time on files that still hold live batches.
 */
export class DataLog {
  private readonly files = new Map<number, DataFile>();
  private active: DataFile | undefined;
  private nextId = 1;
  /** Files written since their last fdatasync (fsync: interval). */
  private readonly dirty = new Set<DataFile>();

  private constructor(readonly dir: string, private readonly options: DataLogOptions) {}

  /**
   * Opens the data files in `dir` (creating the directory) and scans each one's record headers.
   * The caller marks live batches (`file.live`) and then calls {@link reclaim}.
   */
  static async open(dir: string, options: DataLogOptions): Promise<{ log: DataLog; existing: ExistingFile[] }> {
    // Event data is nobody else's business: owner-only directory and files.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const log = new DataLog(dir, options);
    const existing: ExistingFile[] = [];
    try {
      const ids = readdirSync(dir).map((name) => NAME.exec(name)?.[1]).filter((id) => id !== undefined).map(Number).sort((a, b) => a - b);
      for (const id of ids) {
        const filePath = path.join(dir, fileName(id));
        const fd = openSync(filePath, 'r');
        const size = fstatSync(fd).size;
        const file = new DataFile(id, filePath, fd, size);
        log.files.set(id, file);
        existing.push({ file, scan: scanDataFile(fd, size) });
        log.nextId = id + 1;
      }
    } catch (error) {
      await log.close();
      throw error;
    }
    return { log, existing };
  }

  /** Bytes of all data files on disk. */
  get bytesOnDisk(): number {
    let bytes = 0;
    for (const file of this.files.values()) bytes += file.size;
    return bytes;
  }

  /** Whether some file could be deleted by {@link reclaim}. */
  get reclaimable(): boolean {
    for (const file of this.files.values()) if (file.live === 0 && file !== this.active) return true;
    return false;
  }

  /**
   * Appends records as one write (on disk when it resolves with durableAppends), rolling to a new
   * file first when they would push the active one past maxFileSize. Each record counts as one
   * live batch of its file. On failure nothing counts as written, and the file is cut back to
   * where the write began.
   */
  async append(records: readonly Buffer[]): Promise<Placement[]> {
    let total = 0;
    for (const record of records) total += record.length;
    let file = this.active;
    if (!file || (file.size > 0 && file.size + total > this.options.maxFileSize)) file = await this.roll();
    const start = file.size;
    try {
      const { bytesWritten: written } = await writevAsync(file.fd, records as Buffer[], start);
      if (written !== total) throw Object.assign(new Error(`short write to ${file.path}: ${written} of ${total} bytes (no space left on device?)`), { code: 'ENOSPC' });
      if (!this.options.durableAppends) this.dirty.add(file);
    } catch (error) {
      await ftruncateAsync(file.fd, start).catch(() => undefined);
      throw error;
    }
    file.size = start + total;
    file.live += records.length;
    const placements: Placement[] = [];
    let offset = start;
    for (const record of records) {
      placements.push({ file, offset });
      offset += record.length;
    }
    return placements;
  }

  /** Reads `length` bytes at `offset` of `file` (a record whose batch is still live). */
  async read(file: DataFile, offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await readAsync(file.fd, buffer, done, length - done, offset + done);
      if (bytesRead === 0) throw Object.assign(new Error(`${file.path} ends before the record at ${offset} (${length} bytes)`), { code: 'ERR_RECORD_TRUNCATED' });
      done += bytesRead;
    }
    return buffer;
  }

  /** fdatasyncs every file written since its last sync (fsync: interval); returns whether any was. */
  async sync(): Promise<boolean> {
    if (this.dirty.size === 0) return false;
    const files = [...this.dirty];
    this.dirty.clear();
    try {
      await Promise.all(files.map((file) => fdatasyncAsync(file.fd)));
    } catch (error) {
      for (const file of files) this.dirty.add(file);
      throw error;
    }
    return true;
  }

  /** Deletes every file that has no live batch and is not being appended to; returns how many. */
  async reclaim(): Promise<number> {
    let deleted = 0;
    for (const file of [...this.files.values()]) {
      if (file.live > 0 || file === this.active) continue;
      this.files.delete(file.id);
      this.dirty.delete(file);
      await unlinkAsync(file.path);
      await closeAsync(file.fd);
      deleted++;
    }
    return deleted;
  }

  /** Closes every file; the active one is deleted if nothing was ever written to it. */
  async close(): Promise<void> {
    for (const file of this.files.values()) closeSync(file.fd);
    if (this.active && this.active.size === 0) await unlinkAsync(this.active.path).catch(() => undefined);
    this.files.clear();
    this.dirty.clear();
    this.active = undefined;
  }

  /** Starts a new active file (synced into its directory); the previous one is synced first. */
  private async roll(): Promise<DataFile> {
    const previous = this.active;
    if (previous && this.dirty.has(previous)) {
      await fdatasyncAsync(previous.fd);
      this.dirty.delete(previous);
    }
    const id = this.nextId++;
    const filePath = path.join(this.dir, fileName(id));
    const flags = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | (this.options.durableAppends ? constants.O_DSYNC : 0);
    const fd = await openAsync(filePath, flags, 0o600);
    const file = new DataFile(id, filePath, fd, 0);
    this.files.set(id, file);
    this.active = file;
    // The new name must survive a power loss as surely as the records about to be synced into it.
    const dirFd = await openAsync(this.dir, 'r');
    try {
      await fsyncAsync(dirFd);
    } finally {
      await closeAsync(dirFd);
    }
    return file;
  }
}
