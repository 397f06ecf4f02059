import { SluiceError } from '@sluice/core';

/** One decoded Netty frame: the call's serial and its buffers concatenated. */
export interface NettyFrame {
  serial: number;
  payload: Buffer;
}

/** Limits that keep a bad peer from making the decoder hold unbounded memory. */
export interface NettyFrameLimits {
  /** Largest sum of buffer lengths in one frame. */
  maxFrameBytes: number;
}

/**
 * Encodes one frame of Avro's `NettyTransportCodec`: big-endian `[serial][nBuffers]` then
 * `[length][bytes]` per buffer. Buffer boundaries carry no meaning to the reader.
 */
export function encodeNettyFrame(serial: number, buffers: readonly Buffer[]): Buffer {
  let size = 8;
  for (const b of buffers) size += 4 + b.length;
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(serial | 0, 0);
  out.writeInt32BE(buffers.length, 4);
  let pos = 8;
  for (const b of buffers) {
    out.writeInt32BE(b.length, pos);
    b.copy(out, pos + 4);
    pos += 4 + b.length;
  }
  return out;
}

/** Reads up to this size that continue a buffer are copied into the tail instead of kept as objects. */
const SMALL_CHUNK = 1024;
const TAIL_BYTES = 16 * 1024;

const HEADER = 0;
const LENGTH = 1;
const BODY = 2;

/**
 * Incremental decoder of Netty frames. Feed it socket chunks of any size (including ones that
 * split a length field) with `push`; it returns every frame completed by that chunk. A frame ends
 * after its announced number of buffers, so zero-length buffers (Java's responders send them) are
 * just empty parts of the frame.
 *
 * Throws SLUICE_PROTOCOL (with `details.serial` once the header was read) when a frame announces
 * a negative count or length, or more bytes than `maxFrameBytes`; the caller must then drop the
 * connection, since the stream cannot be resynchronised.
 */
export class NettyFrameDecoder {
  private state = HEADER;
  private readonly small = Buffer.alloc(8);
  private filled = 0;
  private serial = 0;
  private buffersLeft = 0;
  private bodyLeft = 0;
  private frameBytes = 0;
  private parts: Buffer[] = [];
  /** Where small reads of a trickling frame are gathered (see gather); parts may end with a view of it. */
  private tail: Buffer | undefined;
  private tailEnd = 0;

  constructor(private readonly limits: NettyFrameLimits) {}

  /** Buffer objects held for the frame in progress. */
  get heldParts(): number {
    return this.parts.length;
  }

  /** True while a frame has started but not completed (a close now cuts it). */
  get midFrame(): boolean {
    return this.state !== HEADER || this.filled > 0;
  }

  /** Bytes of the frame in progress held in memory (its completed buffers and the current one). */
  get bufferedBytes(): number {
    let bytes = 0;
    for (const part of this.parts) bytes += part.length;
    return bytes;
  }

  push(chunk: Buffer): NettyFrame[] {
    const frames: NettyFrame[] = [];
    try {
      this.read(chunk, frames);
    } catch (error) {
      // Frames the chunk completed before the bad one are still the client's calls.
      if (error instanceof SluiceError) (error as { details: Record<string, unknown> }).details = { ...error.details, completed: frames };
      throw error;
    }
    return frames;
  }

  private read(chunk: Buffer, frames: NettyFrame[]): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      if (this.state === BODY) {
        const take = Math.min(this.bodyLeft, n - pos);
        if (pos === 0 && take <= SMALL_CHUNK) this.gather(take === n ? chunk : chunk.subarray(0, take));
        else this.parts.push(take === n && pos === 0 ? chunk : chunk.subarray(pos, pos + take));
        pos += take;
        this.bodyLeft -= take;
        if (this.bodyLeft === 0) this.endBuffer(frames);
        continue;
      }
      const want = this.state === HEADER ? 8 : 4;
      const take = Math.min(want - this.filled, n - pos);
      chunk.copy(this.small, this.filled, pos, pos + take);
      this.filled += take;
      pos += take;
      if (this.filled < want) break;
      this.filled = 0;
      if (this.state === HEADER) this.startFrame(frames);
      else this.startBuffer(frames);
    }
  }

  private startFrame(frames: NettyFrame[]): void {
    this.serial = this.small.readInt32BE(0);
    const count = this.small.readInt32BE(4);
    // Every buffer costs at least its 4-byte length on the wire, so a count beyond maxFrameBytes/4 cannot be honest.
    if (count < 0 || count > Math.max(16, this.limits.maxFrameBytes / 4)) {
      throw new SluiceError('SLUICE_PROTOCOL', `Netty frame ${this.serial} announces ${count} buffers; the peer is not speaking Avro RPC (or the frame exceeds maxFrameSize)`, { details: { serial: this.serial } });
    }
    this.buffersLeft = count;
    this.frameBytes = 0;
    this.parts = [];
    if (count === 0) this.finish(frames);
    else this.state = LENGTH;
  }

  private startBuffer(frames: NettyFrame[]): void {
    const length = this.small.readInt32BE(0);
    if (length < 0) {
      throw new SluiceError('SLUICE_PROTOCOL', `Netty frame ${this.serial} has a buffer of negative length ${length}`, { details: { serial: this.serial } });
    }
    this.frameBytes += length;
    if (this.frameBytes > this.limits.maxFrameBytes) {
      throw new SluiceError('SLUICE_PROTOCOL', `Netty frame ${this.serial} is larger than maxFrameSize (${this.limits.maxFrameBytes} bytes); raise maxFrameSize or lower the sender's batch size`, { details: { serial: this.serial, oversized: true } });
    }
    this.bodyLeft = length;
    if (length === 0) this.endBuffer(frames);
    else this.state = BODY;
  }

  private endBuffer(frames: NettyFrame[]): void {
    this.buffersLeft--;
    if (this.buffersLeft === 0) this.finish(frames);
    else this.state = LENGTH;
  }

  /**
   * Keeps a small read that continues a buffer (a client trickling its frame) in a shared tail
   * buffer rather than as a Buffer object of its own, which would cost about a hundred bytes of heap
   * per read whatever its size. Reads that bring whole buffers stay uncopied views.
   */
  private gather(piece: Buffer): void {
    let tail = this.tail;
    if (tail === undefined || this.tailEnd + piece.length > tail.length) {
      tail = this.tail = Buffer.allocUnsafe(TAIL_BYTES);
      this.tailEnd = 0;
    }
    const from = this.tailEnd;
    piece.copy(tail, from);
    this.tailEnd += piece.length;
    // Bytes are only ever written past tailEnd, so views handed out before stay intact.
    const last = this.parts.length - 1;
    const previous = this.parts[last];
    if (previous !== undefined && previous.buffer === tail.buffer && previous.byteOffset + previous.length === tail.byteOffset + from) {
      this.parts[last] = tail.subarray(previous.byteOffset - tail.byteOffset, this.tailEnd);
    } else {
      this.parts.push(tail.subarray(from, this.tailEnd));
    }
  }

  private finish(frames: NettyFrame[]): void {
    const parts = this.parts;
    const payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.frameBytes);
    frames.push({ serial: this.serial, payload });
    this.parts = [];
    this.state = HEADER;
  }
}
