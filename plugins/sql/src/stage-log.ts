import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { SluiceEvent } from '@sluice/core';
import { SIMD_SCAN_LIMIT, type SimdScan } from './simd-scan.js';

/** Record types of the stage log. */
export type FrameType = 'B' | 'C' | 'R' | 'E';

/** One record read back from the log. */
export interface Frame {
  type: FrameType;
  payload: Buffer;
}

/** What recovery finds in a stage's directory: the newest snapshot (if any) and the log after it. */
export interface Recovered {
  generation: number;
  /** The snapshot's JSON meta, when a compaction happened. */
  meta?: unknown;
  /** The snapshot's rows file, when the meta names one. */
  rowsFile?: string;
  frames: Frame[];
}

const HEADER = 5;

/** A record's header: its type byte, then its payload length (big-endian 32 bits). */
function recordHeader(type: FrameType, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER);
  header[0] = type.charCodeAt(0);
  header.writeUInt32BE(length, 1);
  return header;
}

/**
 * Encodes events for the log and the batch fingerprint: a table of
 * `[count][header length, body length]...` followed by each event's header values (the headers the
 * schema reads, as a JSON array) and body, in one buffer (one write, however many events).
 * `allocate` gives the buffer of the size needed; `bodyAt`, when given, receives where each body
 * starts in the result.
 */
export function encodeEvents(events: readonly SluiceEvent[], headerNames: readonly string[], allocate: (size: number) => Buffer = Buffer.allocUnsafe, bodyAt?: Int32Array): Buffer {
  const headers = headerNames.length === 0
    ? undefined
    : events.map((event) => Buffer.from(JSON.stringify(headerNames.map((n) => event.headers[n] ?? null))));
  let size = 4 + 8 * events.length;
  for (let i = 0; i < events.length; i++) size += events[i]!.body.length + (headers ? headers[i]!.length : 0);
  const out = allocate(size);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  view.setUint32(0, events.length);
  let at = 4 + 8 * events.length;
  for (let i = 0; i < events.length; i++) {
    const body = events[i]!.body;
    const header = headers?.[i];
    view.setUint32(4 + 8 * i, header ? header.length : 0);
    view.setUint32(8 + 8 * i, body.length);
    if (header) {
      out.set(header, at);
      at += header.length;
    }
    if (bodyAt) bodyAt[i] = at;
    out.set(body, at);
    at += body.length;
  }
  return out;
}

/**
 * {@link encodeEvents} into a buffer kept between calls (grown as batches need), so checkpointing
 * a batch allocates nothing. Each result is valid until the next call. One per stage.
 *
 * With a {@link SimdScan}, the buffer is its WebAssembly memory (from offset 0), and
 * {@link bodyAt} tells where each body of the last batch starts there, so the body scanner can
 * hand long strings to the SIMD code; -1 when that batch did not fit the memory's limit.
 */
export class EventEncoder {
  private scratch = Buffer.alloc(0);
  /** Per event of the last batch, its body's offset in the SIMD memory, or -1. */
  bodyAt = new Int32Array(0);

  constructor(private readonly headerNames: readonly string[], private readonly simd?: SimdScan) {}

  encode(events: readonly SluiceEvent[]): Buffer {
    if (this.bodyAt.length < events.length) this.bodyAt = new Int32Array(Math.max(events.length, 2 * this.bodyAt.length));
    const { simd } = this;
    let inMemory = false;
    const out = encodeEvents(events, this.headerNames, (size) => {
      if (simd && size < SIMD_SCAN_LIMIT && this.fits(simd, size)) {
        if (this.scratch.buffer !== simd.memory.buffer) this.scratch = Buffer.from(simd.memory.buffer);
        inMemory = true;
      } else if (simd && this.scratch.buffer === simd.memory.buffer) {
        this.scratch = Buffer.allocUnsafeSlow(size);
      } else if (this.scratch.length < size) {
        this.scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * this.scratch.length));
      }
      return this.scratch.subarray(0, size);
    }, this.bodyAt);
    if (!inMemory) this.bodyAt.fill(-1, 0, events.length);
    return out;
  }

  /** Grows the SIMD memory (at least doubling) to hold `size` bytes; false if it cannot grow. */
  private fits(simd: SimdScan, size: number): boolean {
    const { memory } = simd;
    const pages = Math.ceil(size / 65_536);
    const current = memory.buffer.byteLength / 65_536;
    if (pages <= current) return true;
    try {
      memory.grow(Math.max(pages, 2 * current) - current);
      return true;
    } catch {
      try {
        memory.grow(pages - current);
        return true;
      } catch {
        return false; // this batch is encoded outside it, and read without the SIMD code
      }
    }
  }
}

/** Decodes what {@link encodeEvents} wrote (the parts concatenated). */
export function decodeEvents(buffer: Buffer, headerNames: readonly string[]): SluiceEvent[] {
  const count = buffer.readUInt32BE(0);
  const events: SluiceEvent[] = [];
  let at = 4 + 8 * count;
  for (let i = 0; i < count; i++) {
    const hl = buffer.readUInt32BE(4 + 8 * i);
    const bl = buffer.readUInt32BE(8 + 8 * i);
    const headers: Record<string, string> = {};
    if (hl > 0) {
      const values = JSON.parse(buffer.subarray(at, at + hl).toString('utf8')) as (string | null)[];
      headerNames.forEach((n, j) => { if (values[j] !== null && values[j] !== undefined) headers[n] = values[j]!; });
    }
    at += hl;
    events.push({ headers, body: buffer.subarray(at, at + bl) });
    at += bl;
  }
  return events;
}

/** The fingerprint of encoded events (a batch, or the first events of a take). */
export function fingerprint(encoded: Buffer | readonly Buffer[]): string {
  const hash = createHash('sha1');
  if (Buffer.isBuffer(encoded)) hash.update(encoded);
  else for (const part of encoded) hash.update(part);
  return hash.digest('hex');
}

/**
 * Appending writes that are on disk when they return (data and the size, as with fdatasync);
 * undefined where the platform has no O_DSYNC (then a synced append is a write plus a datasync).
 */
const SYNC_APPEND = constants.O_DSYNC === undefined ? undefined : constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;

/**
 * The sql stage's checkpoint in its data directory: an append-only log of framed records (`B` a
 * prepared batch, `C`/`R` its take committed or rolled back, `E` a window emitted) after an
 * optional snapshot (`meta-N.json` plus `rows-N.parquet`) written by a compaction. Batches are
 * durable before the stage lets its take commit; markers are plain writes (they survive a
 * process crash; after a power loss a lost `E` means one repeated window, and a lost `C` is
 * resolved by the batch fingerprint). A `C` may also be deferred ({@link defer}) into the next
 * record's write, so until then a process crash loses it too, with the same resolution. A torn
 * record at the end is ignored: its batch never committed. Used by one stage instance at a time,
 * one append at a time.
 *
 * A synced record is written through a second descriptor of the same file opened with
 * `O_DSYNC`, so writing and syncing it is one request on the thread pool: it proceeds while the
 * caller works on the main thread, instead of a write whose completion must first be seen there
 * before the fsync can be issued.
 */
export class StageLog {
  private handle: FileHandle | undefined;
  private syncHandle: FileHandle | undefined;
  private bytes = 0;
  /** Empty marker records waiting to go out with the next append (see {@link defer}). */
  private deferred: Buffer[] = [];

  private constructor(private readonly dir: string, private generation: number) {}

  /** Opens the directory, returning the log ready to append and what it held. */
  static async open(dir: string): Promise<{ log: StageLog; recovered: Recovered }> {
    await mkdir(dir, { recursive: true });
    const names = await readdir(dir);
    const generations = names.map((n) => /^meta-(\d+)\.json$/.exec(n)).filter((m) => m !== null).map((m) => Number(m![1]));
    const generation = generations.length > 0 ? Math.max(...generations) : 0;
    const recovered: Recovered = { generation, frames: [] };
    if (generations.length > 0) {
      const meta = JSON.parse(await readFile(path.join(dir, `meta-${generation}.json`), 'utf8')) as { rows?: string };
      recovered.meta = meta;
      if (meta.rows) recovered.rowsFile = path.join(dir, meta.rows);
    }
    const logFile = path.join(dir, `state-${generation}.log`);
    let valid = 0;
    try {
      const data = await readFile(logFile);
      while (valid + HEADER <= data.length) {
        const length = data.readUInt32BE(valid + 1);
        if (valid + HEADER + length > data.length) break;
        recovered.frames.push({ type: String.fromCharCode(data[valid]!) as FrameType, payload: data.subarray(valid + HEADER, valid + HEADER + length) });
        valid += HEADER + length;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const name of names) {
      const m = /^(?:meta|rows|state)-(\d+)\./.exec(name);
      if ((m && Number(m[1]) !== generation) || name.endsWith('.tmp')) await rm(path.join(dir, name), { force: true });
    }
    const log = new StageLog(dir, generation);
    await log.openLog(logFile, valid);
    return { log, recovered };
  }

  /**
   * Makes `file` the log appended to: opens it plainly and (where the platform has it) with
   * `O_DSYNC`, cuts it to its first `valid` bytes (a torn record after them, even when no whole
   * record precedes it: appends must never follow torn bytes), and fsyncs the
   * directory, since the log may have just been created and its entry must survive a power loss
   * too, or synced batches would vanish with the file. On failure no handle stays open.
   */
  private async openLog(file: string, valid: number): Promise<void> {
    const handle = await open(file, 'a');
    let syncHandle: FileHandle | undefined;
    try {
      await handle.truncate(valid);
      if (SYNC_APPEND !== undefined) syncHandle = await open(file, SYNC_APPEND);
      await syncFile(this.dir);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await syncHandle?.close().catch(() => undefined);
      throw error;
    }
    this.handle = handle;
    this.syncHandle = syncHandle;
    this.bytes = valid;
  }

  /** Bytes in the current log (compaction compares it with what is still needed). */
  get size(): number {
    return this.bytes;
  }

  /**
   * Appends a record (its payload in parts, written without copying, at most a few: one write
   * call); with `sync` it is on disk when the promise resolves. The write is issued before this
   * returns, so the caller may work while it runs, but must not change the parts until it resolves.
   */
  async append(type: FrameType, payload: Buffer | readonly Buffer[], sync: boolean): Promise<void> {
    const parts = Buffer.isBuffer(payload) ? [payload] : payload;
    let length = 0;
    for (const part of parts) length += part.length;
    const header = recordHeader(type, length);
    const markers = this.deferred;
    this.deferred = [];
    if (sync && this.syncHandle) {
      await this.syncHandle.writev([...markers, header, ...parts]);
    } else {
      await this.handle!.writev([...markers, header, ...parts]);
      if (sync) await this.handle!.datasync();
    }
    this.bytes += markers.length * HEADER + HEADER + length;
  }

  /**
   * Queues an empty marker record (`C`) that needs no write of its own: it goes out in the same
   * write as the next record, before it, or at {@link close}. Until then a crash loses it, which
   * the reader of the log must tolerate (for `C`: the batch before it is resolved by its
   * fingerprint, as after any lost marker). Saves a round trip to the thread pool per batch.
   */
  defer(type: FrameType): void {
    this.deferred.push(recordHeader(type, 0));
  }

  /** Writes the deferred markers now, if any (a plain write). */
  async writeDeferred(): Promise<void> {
    if (this.deferred.length === 0 || !this.handle) return;
    const markers = this.deferred;
    this.deferred = [];
    await this.handle.writev(markers);
    this.bytes += markers.length * HEADER;
  }

  /**
   * Replaces the log by a snapshot: `writeRows(file)` writes the rows, `meta` describes the state;
   * both are fsynced and the meta renamed into place last, then a fresh log starts. A crash at
   * any point leaves either the old generation or the new one complete.
   */
  async compact(meta: Record<string, unknown>, writeRows: (file: string) => Promise<void>): Promise<void> {
    await this.writeDeferred();
    const next = this.generation + 1;
    const rows = `rows-${next}.parquet`;
    await writeRows(path.join(this.dir, rows));
    await syncFile(path.join(this.dir, rows));
    const metaTmp = path.join(this.dir, `meta-${next}.json.tmp`);
    const handle = await open(metaTmp, 'w');
    await handle.writeFile(JSON.stringify({ ...meta, rows }));
    await handle.sync();
    await handle.close();
    await rename(metaTmp, path.join(this.dir, `meta-${next}.json`));
    await syncFile(this.dir);
    const old = this.generation;
    await this.close();
    this.generation = next;
    await this.openLog(path.join(this.dir, `state-${next}.log`), 0);
    for (const name of [`meta-${old}.json`, `rows-${old}.parquet`, `state-${old}.log`]) await rm(path.join(this.dir, name), { force: true });
  }

  async close(): Promise<void> {
    await this.writeDeferred();
    await this.handle?.close();
    await this.syncHandle?.close();
    this.handle = undefined;
    this.syncHandle = undefined;
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
