import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger, MetricGroup } from '@sluice/core';
import { prefixMatches, readPrefix } from './fingerprint.js';
import { expandGlob } from './glob.js';
import type { PositionEntry } from './position-file.js';
import type { RecordReaderOptions } from './record-reader.js';
import { TailedFile } from './tailed-file.js';

/** How long a truncated file's last fingerprint is remembered to recognise its copy. */
const TRUNCATION_MEMORY_MS = 60_000;
/**
 * How long a new file whose first bytes equal those of a followed, untruncated file waits for
 * that file's truncation (then it is a copytruncate copy) before it is read as a new file.
 */
const COPY_GRACE_MS = 5_000;

interface Truncation { head: Buffer; pos: number; at: number }

/** What a {@link FileTracker} needs from its taildir source. */
export interface FileTrackerOptions {
  filegroups: Readonly<Record<string, string>>;
  skipToEnd: boolean;
  /** Never followed, even when a glob matches it. */
  positionFile: string;
  readerOptions: RecordReaderOptions;
  logger: Logger;
  metrics: MetricGroup;
}

/**
 * The set of files a taildir source follows, keyed by device + inode, and how the disk maps onto
 * it: `scan` matches the globs, tells renamed files (same inode) from new ones, recognises copies
 * made by copytruncate and reused inodes by the fingerprint, and picks each new file's start.
 */
export class FileTracker {
  readonly files = new Map<string, TailedFile>();
  /** True when files were added, removed or renamed since the source last looked (positions to write). */
  changed = false;
  private readonly restored = new Map<string, PositionEntry>();
  private readonly truncations: Truncation[] = [];
  /** New files that look like copies of a followed file, by key: when first seen. */
  private readonly pendingCopies = new Map<string, number>();

  constructor(private readonly options: FileTrackerOptions) {}

  /** Loads the entries of the position file, used by the first (initial) scan. */
  restore(entries: readonly PositionEntry[]): void {
    for (const entry of entries) this.restored.set(entry.dev === undefined ? `*:${entry.inode}` : `${entry.dev}:${entry.inode}`, entry);
  }

  /** Position file entries: per file, the offset just past what was committed. */
  positionEntries(): PositionEntry[] {
    return [...this.files.values()].map((f) => ({
      inode: f.ino, pos: f.commitPos, file: f.path, dev: f.dev, group: f.group, fpLength: f.fingerprint.length, fp: f.fingerprint.hash,
    }));
  }

  /** Remembers a truncated file's identity (to recognise its copy) and restarts it at 0. */
  truncated(file: TailedFile, now: number): void {
    this.truncations.push({ head: file.head, pos: file.commitPos, at: now });
    while (this.truncations.length > 0 && now - this.truncations[0]!.at > TRUNCATION_MEMORY_MS) this.truncations.shift();
    file.restart();
    this.changed = true;
  }

  /** Stops following a file (drained after it left its group, or gone). */
  forget(file: TailedFile): void {
    this.files.delete(file.key);
    this.changed = true;
  }

  /** Matches the globs against the disk: new files, renamed files, files gone. */
  async scan(initial: boolean): Promise<void> {
    const claimed = new Set<string>();
    const seen = new Set<string>();
    const { positionFile } = this.options;
    for (const [group, pattern] of Object.entries(this.options.filegroups)) {
      for (const file of await expandGlob(pattern)) {
        if (claimed.has(file) || file === positionFile || file === `${positionFile}.tmp`) continue;
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
            this.options.logger.debug({ from: known.path, to: file }, 'tailed file was renamed');
            known.path = file;
            this.changed = true;
          }
          known.matched = true;
          if (!known.handle && st.size !== known.reader.readPos) await known.reopen();
          continue;
        }
        // An empty new file tells nothing yet (a copy being written, or a new log): wait for bytes.
        if (st.size > 0) await this.track(file, group, initial);
      }
    }
    for (const file of this.files.values()) {
      if (seen.has(file.key)) continue;
      file.matched = false;
      if (!file.handle) this.forget(file);
    }
    for (const key of this.pendingCopies.keys()) if (!seen.has(key)) this.pendingCopies.delete(key);
    if (initial) {
      await this.adoptMoved();
      this.restored.clear();
    }
  }

  /** Starts following a file not seen before (or known only from the position file). */
  private async track(file: string, group: string, initial: boolean, entry?: PositionEntry): Promise<TailedFile | undefined> {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      this.options.metrics.inc('EventReadFail');
      this.options.logger.warn({ err: error, file }, 'cannot open a matched file; will retry at the next scan');
      return undefined;
    }
    const st = await handle.stat();
    const key = `${st.dev}:${st.ino}`;
    if (this.files.has(key)) {
      await handle.close();
      return undefined;
    }
    const prefix = await readPrefix(handle, st.size);
    const restoredKey = this.restored.has(key) ? key : `*:${st.ino}`;
    const restored = entry ?? this.restored.get(restoredKey);
    let start: number;
    let how: string;
    if (restored && restored.pos <= st.size && (restored.fp === undefined || prefixMatches({ length: restored.fpLength ?? 0, hash: restored.fp }, prefix))) {
      start = restored.pos;
      how = 'position file';
      this.restored.delete(restoredKey);
    } else {
      const copy = await this.findCopyOf(prefix, key, st.size);
      const now = Date.now();
      const waiting = copy?.original ? now - (this.pendingCopies.get(key) ?? now) < COPY_GRACE_MS : false;
      if (copy?.original && !this.pendingCopies.has(key)) this.pendingCopies.set(key, now);
      if (waiting) {
        // Probably a copy whose original is about to be truncated (copytruncate): decide later.
        await handle.close();
        return undefined;
      }
      this.pendingCopies.delete(key);
      if (copy && !copy.original) {
        start = Math.min(copy.pos, st.size);
        how = 'copy of a truncated file';
      } else if (initial && this.options.skipToEnd) {
        start = st.size;
        how = 'skipToEnd';
      } else {
        start = 0;
        how = 'new file';
      }
    }
    const tailed = new TailedFile(key, st.dev, st.ino, file, group, start, prefix, handle, this.options.readerOptions);
    this.files.set(key, tailed);
    this.changed = true;
    this.options.logger.info({ file, group, position: start, how }, 'following file');
    return tailed;
  }

  /**
   * A new file whose first bytes equal those of a file truncated in the last minute, or (at
   * start-up) of one in the position file, is its copy (logrotate copytruncate): it continues from
   * the original's position. A match with a followed file that was not truncated (yet) is returned
   * with `original`: the caller waits for the truncation before deciding. A followed file is
   * compared by what it held when last read and by what it holds on disk now: two rotations in a
   * row (copy, truncate, copy, truncate) can copy content the source has not read yet, which it
   * reads from the original once it notices the first truncation; the copy waits for the second.
   */
  private async findCopyOf(prefix: Buffer, key: string, size: number): Promise<{ pos: number; original?: TailedFile } | undefined> {
    if (prefix.length === 0) return undefined;
    // Compared over the shorter of the two heads: logrotate may still be writing the copy.
    for (const file of this.files.values()) {
      if (file.key === key) continue;
      if (sameStart(file.head, prefix) || sameStart(await file.diskPrefix().catch(() => Buffer.alloc(0)), prefix)) return { pos: file.commitPos, original: file };
    }
    // At start-up: the copy of a file from the position file, made while the agent was down. A
    // copy holds at least what was committed; a new file merely starting with the same bytes is
    // usually shorter.
    for (const [restoredKey, entry] of this.restored) {
      if (restoredKey === key || restoredKey === `*:${key.split(':')[1]}` || !entry.fp || !entry.fpLength || size < entry.pos) continue;
      if (prefixMatches({ length: entry.fpLength, hash: entry.fp }, prefix)) return { pos: entry.pos };
    }
    for (let i = this.truncations.length - 1; i >= 0; i--) {
      const truncation = this.truncations[i]!;
      if (sameStart(truncation.head, prefix)) return { pos: truncation.pos };
    }
    return undefined;
  }

  /**
   * Files in the position file that no glob matched were renamed while the agent was down
   * (rotated to a name outside the group): find them by inode beside their old path and drain them.
   */
  private async adoptMoved(): Promise<void> {
    const byDir = new Map<string, PositionEntry[]>();
    for (const entry of this.restored.values()) {
      const dir = path.dirname(entry.file);
      byDir.set(dir, [...(byDir.get(dir) ?? []), entry]);
    }
    const groups = Object.keys(this.options.filegroups);
    for (const [dir, entries] of byDir) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      const byInode = new Map(entries.map((e) => [e.inode, e]));
      for (const name of names) {
        const candidate = path.join(dir, name);
        const st = await stat(candidate).catch(() => undefined);
        const entry = st?.isFile() ? byInode.get(st.ino) : undefined;
        if (!st || !entry || (entry.dev !== undefined && st.dev !== entry.dev) || this.files.has(`${st.dev}:${st.ino}`)) continue;
        const group = entry.group !== undefined && groups.includes(entry.group) ? entry.group : groups[0]!;
        const tailed = await this.track(candidate, group, true, entry);
        if (tailed) tailed.matched = false;
      }
    }
  }
}

/** True when both buffers are non-empty and agree over the shorter one's length. */
function sameStart(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length);
  return n > 0 && a.compare(b, 0, n, 0, n) === 0;
}
