import { SluiceError } from '@sluice/core';

/**
 * Incremental decoder of Thrift's framed transport (TFramedTransport / TFastFramedTransport): each
 * message is preceded by its length as a big-endian int32. Feed socket chunks of any size with
 * `push`; it returns the frames completed by that chunk. A length above `maxFrameBytes` (or
 * negative) throws SLUICE_PROTOCOL, since the stream cannot be trusted after it; the frames that
 * chunk completed before the bad length are in the error's `details.completed` (they are the
 * client's calls, to be answered before the connection closes, as if they had come in a read of
 * their own). Bytes are held only as they arrive: a forged length allocates nothing.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /**
   * Where small reads of a waiting frame are gathered: a client that trickles a frame a few bytes
   * per read would otherwise cost one Buffer object (about a hundred bytes of heap) per read, many
   * times the bytes it sent. Written only past `tailEnd`, like a bump allocator.
   */
  private tail: Buffer | undefined;
  private tailEnd = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** True while part of a frame is buffered. */
  get midFrame(): boolean {
    return this.buffered > 0;
  }

  /** Buffer objects held for the frame in progress (small reads are gathered, so this stays far below the number of reads). */
  get heldChunks(): number {
    return this.chunks.length;
  }

  push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.merge();
      const length = head.readInt32BE(0);
      if (length < 0 || length > this.maxFrameBytes) {
        throw new SluiceError('SLUICE_PROTOCOL', `Thrift frame of ${length} bytes is over the limit of ${this.maxFrameBytes} (maxFrameSize), or the peer does not use the framed transport`, { details: { length, completed: frames } });
      }
      if (this.buffered < 4 + length) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : this.merge();
      frames.push(all.subarray(4, 4 + length));
      const rest = all.subarray(4 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return frames;
  }

  private append(chunk: Buffer): void {
    const waiting = this.buffered > 0;
    this.buffered += chunk.length;
    // A read that starts with nothing waiting (the usual whole call), or a large one, is kept as it is, uncopied.
    if (chunk.length > SMALL_CHUNK || !waiting) {
      this.chunks.push(chunk);
      return;
    }
    let tail = this.tail;
    if (tail === undefined || this.tailEnd + chunk.length > tail.length) {
      tail = this.tail = Buffer.allocUnsafe(TAIL_BYTES);
      this.tailEnd = 0;
    }
    const from = this.tailEnd;
    chunk.copy(tail, from);
    this.tailEnd += chunk.length;
    // Bytes are only ever written past tailEnd, so frames and views handed out before stay intact.
    const last = this.chunks.length - 1;
    const previous = this.chunks[last];
    if (previous !== undefined && previous.buffer === tail.buffer && previous.byteOffset + previous.length === tail.byteOffset + from) {
      this.chunks[last] = tail.subarray(previous.byteOffset - tail.byteOffset, this.tailEnd);
    } else {
      this.chunks.push(tail.subarray(from, this.tailEnd));
    }
  }

  private merge(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}

/** Reads up to this size are copied into a shared tail buffer instead of being kept as objects of their own. */
const SMALL_CHUNK = 1024;
const TAIL_BYTES = 16 * 1024;

/** Prefixes `payload` with its length, as the framed transport sends it. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeInt32BE(length, 0);
  return header;
}
