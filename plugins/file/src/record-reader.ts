/** A record ready for delivery: its file offset and the offset just past it (the position to commit). */
export interface ReadyRecord {
  body: Buffer;
  start: number;
  end: number;
}

/** What to do with a line longer than maxLineLength. */
export type OverflowPolicy = 'split' | 'drop';

/** Options of a {@link RecordReader}. */
export interface RecordReaderOptions {
  /** Longest record body in bytes. */
  maxLineLength: number;
  /** `split`: emit the line in maxLineLength pieces; `drop`: discard the whole line. */
  overflow: OverflowPolicy;
  /** When set, a record starts at a line matching it; other lines join the open record with `\n`. */
  multilineStart?: RegExp | undefined;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Turns the bytes of one file, pushed in order as they are read, into records with the file
 * offset just past each one, without decoding to strings (except to test a multi-line pattern).
 * A line is complete at `\n` (a trailing `\r` is removed); an unterminated last line waits for
 * more bytes. Bodies are slices of the pushed chunks, so a chunk must not be reused after push.
 */
export class RecordReader {
  /** File offset of the next byte to push. */
  readPos: number;
  /** Lines cut into pieces (split) so far. */
  splitCount = 0;
  /** Lines discarded (drop) so far. */
  droppedCount = 0;
  private partial: Buffer | undefined;
  private partialStart = 0;
  /** The unterminated line being read is dropped up to its newline. */
  private discarding = false;
  /** The unterminated line being read has had pieces emitted (and was counted in splitCount). */
  private splitting = false;
  private record: Buffer[] = [];
  private recordBytes = 0;
  private recordStart = 0;
  private recordEnd = 0;
  private ready: ReadyRecord[] = [];
  private head = 0;

  constructor(start: number, private readonly options: RecordReaderOptions) {
    this.readPos = start;
  }

  /** Records waiting to be taken. */
  get pending(): number {
    return this.ready.length - this.head;
  }

  /** True while a multi-line record is open (waiting for its next start line or a flush). */
  get hasOpenRecord(): boolean {
    return this.record.length > 0;
  }

  /** Forgets everything buffered and continues from `position` (after truncation). */
  reset(position: number): void {
    this.readPos = position;
    this.partial = undefined;
    this.discarding = false;
    this.splitting = false;
    this.record = [];
    this.recordBytes = 0;
    this.ready = [];
    this.head = 0;
  }

  /** Removes and returns up to `max` ready records, oldest first. */
  take(max: number): ReadyRecord[] {
    const end = Math.min(this.ready.length, this.head + max);
    const out = this.ready.slice(this.head, end);
    this.head = end;
    if (this.head === this.ready.length) {
      this.ready = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      // Taken records must not stay reachable from the queue.
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Ends the open multi-line record (its file has been quiet for the multi-line timeout). */
  flushRecord(): void {
    if (this.record.length === 0) return;
    const body = this.record.length === 1 ? this.record[0]! : joinLines(this.record, this.recordBytes);
    this.ready.push({ body, start: this.recordStart, end: this.recordEnd });
    this.record = [];
    this.recordBytes = 0;
  }

  /** End of input (a complete spooled file): the unterminated last line and the open record become records. */
  finish(): void {
    const partial = this.partial;
    this.partial = undefined;
    if (partial && !this.discarding) this.line(partial, 0, partial.length, this.partialStart, this.readPos);
    this.discarding = false;
    this.splitting = false;
    this.flushRecord();
  }

  /**
   * Consumes the next bytes of the file (read at `readPos`). Where the reads end makes no
   * difference: the records, their offsets and the split/drop counts are those of the whole file
   * pushed at once. A `\r` at the end of a chunk is held back until the next byte shows whether it
   * ends the line (`\r\n`) or belongs to it.
   */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const { maxLineLength: max, overflow } = this.options;
    let data = chunk;
    let base = this.readPos;
    this.readPos += chunk.length;
    if (this.partial) {
      data = Buffer.concat([this.partial, chunk]);
      base = this.partialStart;
      this.partial = undefined;
    }
    let start = 0;
    for (;;) {
      const newline = data.indexOf(LF, start);
      if (newline < 0) break;
      if (this.discarding) {
        this.discarding = false;
      } else {
        const end = newline > start && data[newline - 1] === CR ? newline - 1 : newline;
        this.line(data, start, end, base, base + newline + 1);
      }
      start = newline + 1;
    }
    if (start >= data.length || this.discarding) return;
    let rest = data.subarray(start);
    let restStart = base + start;
    const known = rest[rest.length - 1] === CR ? rest.length - 1 : rest.length;
    if (known > max) {
      if (overflow === 'drop') {
        this.droppedCount++;
        this.discarding = true;
        this.splitting = false;
        return;
      }
      if (!this.splitting) this.splitCount++;
      this.splitting = true;
      // Whole pieces only, and at least one byte besides a held-back \r stays: the line's last
      // piece is emitted at its newline, with the offset past it.
      let taken = 0;
      while (known - taken > max) {
        this.emit(rest.subarray(taken, taken + max), restStart + taken, restStart + taken + max);
        taken += max;
      }
      rest = rest.subarray(taken);
      restStart += taken;
    }
    this.partial = rest;
    this.partialStart = restStart;
  }

  /**
   * A complete line `data[start, end)` (without its line end) at file offset `base + start`;
   * `next` is the file offset just past its line end. When `splitting`, its first pieces were
   * already emitted and counted.
   */
  private line(data: Buffer, start: number, end: number, base: number, next: number): void {
    const { maxLineLength: max, overflow } = this.options;
    const continued = this.splitting;
    this.splitting = false;
    if (end - start <= max) {
      this.emit(data.subarray(start, end), base + start, next);
      return;
    }
    if (overflow === 'drop') {
      this.droppedCount++;
      return;
    }
    if (!continued) this.splitCount++;
    for (let s = start; s < end; s += max) {
      const e = Math.min(s + max, end);
      this.emit(data.subarray(s, e), base + s, e === end ? next : base + e);
    }
  }

  private emit(body: Buffer, start: number, end: number): void {
    const pattern = this.options.multilineStart;
    if (!pattern) {
      this.ready.push({ body, start, end });
      return;
    }
    if (this.record.length > 0) {
      const isStart = pattern.test(body.toString('utf8'));
      const tooLong = this.recordBytes + 1 + body.length > this.options.maxLineLength;
      if (isStart || tooLong) {
        if (!isStart) this.splitCount++;
        this.flushRecord();
      }
    }
    this.recordBytes += (this.record.length > 0 ? 1 : 0) + body.length;
    this.record.push(body);
    if (this.record.length === 1) this.recordStart = start;
    this.recordEnd = end;
  }
}

function joinLines(lines: Buffer[], total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) out[offset++] = LF;
    offset += lines[i]!.copy(out, offset);
  }
  return out;
}
