import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * The byte streams one Avro RPC connection reads frames from and writes frames to. With deflate
 * the whole stream (both directions) is zlib-wrapped, as Netty's ZlibEncoder/ZlibDecoder do in
 * Flume; TLS, when used, is the socket itself (nearest the wire, compression inside it, as in
 * Flume's AvroSource pipeline).
 */
export class RpcStream {
  readonly input: Readable;
  private readonly output: Writable;
  private readonly deflate: zlib.Deflate | undefined;
  private readonly inflate: zlib.Inflate | undefined;

  /** `compressionLevel` undefined means no compression. */
  constructor(readonly socket: Socket, compressionLevel: number | undefined) {
    if (compressionLevel === undefined) {
      this.input = socket;
      this.output = socket;
      return;
    }
    this.inflate = zlib.createInflate();
    this.deflate = zlib.createDeflate({ level: compressionLevel });
    socket.pipe(this.inflate);
    this.deflate.pipe(socket);
    // A broken zlib stream is a broken connection.
    this.inflate.on('error', (err) => socket.destroy(err));
    this.deflate.on('error', (err) => socket.destroy(err));
    this.input = this.inflate;
    this.output = this.deflate;
  }

  /** Writes bytes and pushes them to the peer at once (a zlib sync flush when compressing). */
  send(data: Buffer): void {
    if (this.socket.destroyed) return;
    this.output.write(data);
    if (this.deflate) this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
  }

  /** Writes several buffers as one burst (one writev on a plain socket), then flushes. */
  sendv(buffers: readonly Buffer[]): void {
    if (this.socket.destroyed) return;
    if (!this.deflate) this.socket.cork();
    for (const b of buffers) this.output.write(b);
    if (this.deflate) this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    else this.socket.uncork();
  }

  /** True when the peer has not read what was sent and more would only queue in memory. */
  get congested(): boolean {
    return this.output.writableNeedDrain;
  }

  /** Resolves when what was sent has been handed to the socket (or it closed). */
  drained(): Promise<void> {
    if (!this.congested || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.output.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.output.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Stops reading (backpressure); data already decompressed stays buffered. */
  pause(): void {
    this.input.pause();
  }

  resume(): void {
    if (!this.socket.destroyed) this.input.resume();
  }

  /** Flushes what was sent, then closes; destroys the socket if the peer does not close within 2 s. */
  end(): void {
    if (this.socket.destroyed) return;
    if (this.deflate) this.deflate.end();
    else this.socket.end();
    setTimeout(() => this.destroy(), 2000).unref();
  }

  destroy(): void {
    this.socket.destroy();
    this.inflate?.destroy();
    this.deflate?.destroy();
  }
}
