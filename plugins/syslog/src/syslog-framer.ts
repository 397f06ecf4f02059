/**
 * Receives each frame, never an empty one. `incomplete` is true for the first eventSize bytes of
 * a message that was longer (once per cut message, so counting it counts truncated messages);
 * the pieces of its rest that follow are delivered with `incomplete` false.
 */
export type FrameHandler = (frame: Buffer, incomplete: boolean) => void;

/**
 * Receives each complete frame as the byte range `data[start, end)`, without a Buffer made for
 * it: a hot path that parses in place creates only the objects it keeps. `data` is the chunk (or
 * the framer's own copy of a frame that straddled chunks); the range is valid while the caller
 * holds `data`. `incomplete` as in {@link FrameHandler}.
 */
export type FrameRangeHandler = (data: Buffer, start: number, end: number, incomplete: boolean) => void;

/** How a TCP connection delimits its messages (RFC 6587). */
export type Framing = 'unknown' | 'octet-counting' | 'newline';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
/** Longest `MSG-LEN` prefix accepted: 9 digits is far beyond any eventSize. */
const MAX_LENGTH_DIGITS = 9;

/** Thrown by {@link SyslogFramer.push} when an octet-counted stream has a bad length prefix. */
export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

/**
 * Splits one TCP connection's byte stream into syslog frames, without copying complete frames:
 * each frame is a view of the chunk it arrived in. The framing is detected from the first byte
 * of the connection (RFC 6587): a digit means octet counting (`LEN SP MSG`), anything else means
 * one message per line (`\n`, an optional `\r` before it is removed). Frames longer than
 * `eventSize` (not counting that `\r`) are cut there and reported incomplete; like Flume, the rest
 * of such a frame is not dropped but delivered as further frames of at most `eventSize` bytes (the
 * parser marks them Invalid, as they have no `<PRI>`).
 * The frames and flags do not depend on how the stream is cut into chunks: a read that ends
 * between `\r` and `\n` waits for the next byte before deciding whether a line is over-long.
 * A line break ending an octet-counted frame is removed too.
 * A partial frame at the end of a chunk waits (copied) for the next chunk, which is then read in
 * place except for the bytes that complete that frame.
 */
export class SyslogFramer {
  private mode: Framing = 'unknown';
  private pending: Buffer | undefined;
  /** Bytes of an over-long octet-counted frame still to deliver as further frames. */
  private overflow = 0;
  /** True between the cut of an over-long line and that line's end (newline framing). */
  private continued = false;

  constructor(private readonly eventSize: number) {}

  get framing(): Framing {
    return this.mode;
  }

  /** True while a frame has started but not arrived whole (in octet counting: its length was read, or is being read). */
  get midFrame(): boolean {
    return (this.pending !== undefined && this.pending.length > 0) || this.overflow > 0;
  }

  /** Feeds one chunk; calls `onFrame` for every frame it completes, in order. */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    this.pushRanges(chunk, asRangeHandler(onFrame));
  }

  /** {@link push}, handing each frame over as a byte range of the data it lies in. */
  pushRanges(chunk: Buffer, onFrame: FrameRangeHandler): void {
    let p = 0;
    const pending = this.pending;
    if (pending) {
      // Finish the frame that straddles the chunk boundary on a small copy (pending plus at most
      // one frame's worth of the chunk), then read the rest of the chunk in place.
      this.pending = undefined;
      const take = Math.min(chunk.length, this.eventSize + MAX_LENGTH_DIGITS + 2);
      const head = Buffer.concat([pending, take === chunk.length ? chunk : chunk.subarray(0, take)]);
      const reached = this.scan(head, 0, pending.length, onFrame);
      if (reached >= 0) {
        p = reached - pending.length;
      } else if (take === chunk.length) {
        return;
      } else {
        this.pending = Buffer.concat([this.pending ?? Buffer.alloc(0), chunk.subarray(take)]);
        return;
      }
    }
    this.scan(chunk, p, chunk.length, onFrame);
  }

  /**
   * Reads the frames of `data` that start before `until`; returns the position after the last
   * one (it may lie beyond `until`), or -1 when the data ran out inside a frame.
   */
  private scan(data: Buffer, from: number, until: number, onFrame: FrameRangeHandler): number {
    let p = from;
    const n = data.length;
    while (p < until && p < n) {
      if (this.mode === 'unknown') this.mode = data[p]! >= 0x30 && data[p]! <= 0x39 ? 'octet-counting' : 'newline';
      const next = this.mode === 'octet-counting' ? this.octetFrame(data, p, onFrame) : this.lineFrame(data, p, onFrame);
      if (next < 0) return -1;
      p = next;
    }
    return p;
  }

  /** Ends the stream: an unterminated last line is a frame of its own. */
  end(onFrame: FrameHandler): void {
    this.endRanges(asRangeHandler(onFrame));
  }

  /** {@link end}, handing the last frame over as a byte range. */
  endRanges(onFrame: FrameRangeHandler): void {
    const rest = this.pending;
    this.pending = undefined;
    this.continued = false;
    if (!rest || rest.length === 0) return;
    if (this.mode === 'newline') {
      const end = trimCR(rest, 0, rest.length);
      if (end > 0) onFrame(rest, 0, end, false);
    } else if (this.overflow > 0) {
      this.overflow = 0;
      onFrame(rest, 0, rest.length, false);
    }
  }

  /** Reads one `LEN SP MSG` frame at p; returns where the next starts, or -1 to wait for more. */
  private octetFrame(data: Buffer, p: number, onFrame: FrameRangeHandler): number {
    const n = data.length;
    if (this.overflow > 0) {
      const size = Math.min(this.overflow, this.eventSize);
      if (n - p < size) return this.wait(data, p);
      this.overflow -= size;
      let end = p + size;
      if (this.overflow === 0) end = trimLineEnd(data, p, end);
      if (end > p) onFrame(data, p, end, false);
      return p + size;
    }
    // Tolerate line breaks some senders put between octet-counted frames.
    if (data[p] === LF || data[p] === CR) return p + 1;
    let length = 0;
    let i = p;
    while (i < n && data[i]! >= 0x30 && data[i]! <= 0x39) {
      length = length * 10 + data[i]! - 0x30;
      if (++i - p > MAX_LENGTH_DIGITS) throw new FramingError(`octet-counted frame length has more than ${MAX_LENGTH_DIGITS} digits`);
    }
    if (i === n) return this.wait(data, p);
    if (i === p || data[i] !== SP) throw new FramingError(`expected 'LENGTH SP' at the start of an octet-counted frame, got byte 0x${data[i]!.toString(16)}`);
    const start = i + 1;
    if (length > this.eventSize) {
      if (n - start < this.eventSize) return this.wait(data, p);
      onFrame(data, start, start + this.eventSize, true);
      this.overflow = length - this.eventSize;
      return start + this.eventSize;
    }
    if (n - start < length) return this.wait(data, p);
    // A trailing line break inside the frame is a sender's template artefact (rsyslog's
    // RSYSLOG_SyslogProtocol23Format ends in \n), not part of the message.
    const end = trimLineEnd(data, start, start + length);
    if (end > start) onFrame(data, start, end, false);
    return start + length;
  }

  /** Reads one newline-terminated frame at p (or its first eventSize bytes); returns where the next starts, or -1 to wait for more. */
  private lineFrame(data: Buffer, p: number, onFrame: FrameRangeHandler): number {
    const newline = data.indexOf(LF, p);
    if (newline < 0) {
      // Without its line break yet, a last byte \r may be the line's end (\r\n) or data: a line
      // one byte over eventSize that ends in \r is decided only by the next byte.
      const length = data.length - p;
      if (length > this.eventSize + 1 || (length === this.eventSize + 1 && data[data.length - 1] !== CR)) return this.cut(data, p, onFrame);
      return this.wait(data, p);
    }
    const end = newline > p && data[newline - 1] === CR ? newline - 1 : newline;
    if (end - p > this.eventSize) return this.cut(data, p, onFrame);
    this.continued = false;
    if (end > p) onFrame(data, p, end, false);
    return newline + 1;
  }

  /** Delivers the first eventSize bytes of an over-long line as incomplete; the rest is read as a new frame. */
  private cut(data: Buffer, p: number, onFrame: FrameRangeHandler): number {
    const cut = p + this.eventSize;
    onFrame(data, p, cut, !this.continued);
    // The further pieces of the same line are not incomplete messages of their own.
    this.continued = true;
    return cut;
  }

  private wait(data: Buffer, p: number): number {
    this.pending = Buffer.from(data.subarray(p));
    return -1;
  }
}

/** End of data[start, end) without one trailing `\n` and a `\r` before it. */
function trimLineEnd(data: Buffer, start: number, end: number): number {
  let e = end;
  if (e > start && data[e - 1] === LF) e--;
  if (e > start && data[e - 1] === CR) e--;
  return e;
}

/** End of data[start, end) without one trailing `\r`. */
function trimCR(data: Buffer, start: number, end: number): number {
  return end > start && data[end - 1] === CR ? end - 1 : end;
}

function asRangeHandler(onFrame: FrameHandler): FrameRangeHandler {
  return (data, start, end, incomplete) => onFrame(data.subarray(start, end), incomplete);
}
