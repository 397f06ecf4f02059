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

  constructor(private readonly maxFrameBytes: number) {}

  /** True while part of a frame is buffered. */
  get midFrame(): boolean {
    return this.buffered > 0;
  }

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
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

  private merge(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}

/** Prefixes `payload` with its length, as the framed transport sends it. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeInt32BE(length, 0);
  return header;
}
