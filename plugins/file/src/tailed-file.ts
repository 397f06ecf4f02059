import { open, type FileHandle } from 'node:fs/promises';
import { FINGERPRINT_BYTES, fingerprintOf, prefixMatches, readPrefix, type Fingerprint } from './fingerprint.js';
import { RecordReader, type RecordReaderOptions } from './record-reader.js';

/** Result of {@link TailedFile.check}. */
export type CheckResult = 'ok' | 'truncated' | 'gone';

/**
 * One file a taildir source follows, known by device + inode (its `key`), not by path: the path
 * is only where it was last seen, so a rename keeps the same TailedFile and its position.
 * `commitPos` is the offset just past the last record committed to the channels; the reader may
 * be ahead of it with records read but not yet delivered.
 */
export class TailedFile {
  handle: FileHandle | undefined;
  commitPos: number;
  /** Time of the last read that returned bytes (ms). */
  lastDataAt = Date.now();
  /** Still matched by its group's glob at the last scan (rotated-away files are drained, then forgotten). */
  matched = true;
  readonly reader: RecordReader;
  /** Hash of `head`, recorded in the position file. */
  fingerprint: Fingerprint;
  private reportedSplit = 0;
  private reportedDropped = 0;

  constructor(
    readonly key: string,
    readonly dev: number,
    readonly ino: number,
    public path: string,
    readonly group: string,
    start: number,
    /** The file's first bytes (up to FINGERPRINT_BYTES) as last read, to recognise its copies. */
    public head: Buffer,
    handle: FileHandle | undefined,
    readerOptions: RecordReaderOptions,
  ) {
    this.fingerprint = fingerprintOf(head);
    this.commitPos = start;
    this.handle = handle;
    this.reader = new RecordReader(start, readerOptions);
  }

  /** Overlong lines split or dropped since the last call (for the source's counters). */
  takeOverflowCounts(): { split: number; dropped: number } {
    const split = this.reader.splitCount - this.reportedSplit;
    const dropped = this.reader.droppedCount - this.reportedDropped;
    this.reportedSplit = this.reader.splitCount;
    this.reportedDropped = this.reader.droppedCount;
    return { split, dropped };
  }

  /** Opens the file by its last path; false when that path no longer holds this inode. */
  async reopen(): Promise<boolean> {
    if (this.handle) return true;
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r');
    } catch {
      return false;
    }
    const st = await handle.stat();
    if (st.ino !== this.ino || st.dev !== this.dev) {
      await handle.close();
      return false;
    }
    this.handle = handle;
    this.lastDataAt = Date.now();
    return true;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  /**
   * Detects truncation: the file is shorter than what was read, or its first bytes no longer
   * match the fingerprint (truncated and written again). Extends a short fingerprint as the
   * file grows.
   */
  async check(): Promise<CheckResult> {
    const handle = this.handle;
    if (!handle) return 'gone';
    const { size } = await handle.stat();
    if (size < this.reader.readPos) return 'truncated';
    if (size > 0) {
      const prefix = await readPrefix(handle, size);
      if (!prefixMatches(this.fingerprint, prefix)) return 'truncated';
      if (prefix.length > this.fingerprint.length) {
        this.fingerprint = fingerprintOf(prefix);
        this.head = prefix;
      }
    }
    return 'ok';
  }

  /**
   * The file's first bytes as they are on disk now (empty when it is not open): after a truncation
   * the source has not noticed yet, they are the start of what it will read next, not `head`.
   */
  async diskPrefix(): Promise<Buffer> {
    const handle = this.handle;
    if (!handle) return Buffer.alloc(0);
    const { size } = await handle.stat();
    return readPrefix(handle, size);
  }

  /** Starts over at offset 0 after truncation. */
  restart(): void {
    this.reader.reset(0);
    this.commitPos = 0;
    this.fingerprint = { length: 0, hash: '' };
    this.head = Buffer.alloc(0);
  }

  /** Reads what was appended since the last read, up to `max` bytes, into the reader. */
  async readMore(max: number): Promise<number> {
    const handle = this.handle;
    if (!handle) return 0;
    const buffer = Buffer.allocUnsafe(max);
    const at = this.reader.readPos;
    const { bytesRead } = await handle.read(buffer, 0, max, at);
    if (bytesRead === 0) return 0;
    // Keep the head in step with what is read: after a truncation the file is read from 0 before
    // the next check, and a copy of this new content must be recognisable as such.
    if (this.head.length < FINGERPRINT_BYTES && at <= this.head.length) {
      const end = Math.min(FINGERPRINT_BYTES, at + bytesRead);
      if (end > this.head.length) {
        this.head = Buffer.concat([this.head.subarray(0, at), buffer.subarray(0, end - at)]);
        this.fingerprint = fingerprintOf(this.head);
      }
    }
    // Events keep slices of what is pushed: a short read is copied so the big buffer can go.
    this.reader.push(bytesRead === max ? buffer : bytesRead >= max / 2 ? buffer.subarray(0, bytesRead) : Buffer.from(buffer.subarray(0, bytesRead)));
    this.lastDataAt = Date.now();
    return bytesRead;
  }
}
