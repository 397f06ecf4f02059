import type net from 'node:net';
import { errorCode, type Logger, type SluiceEvent } from '@sluice/core';
import { FrameDecoder, frameHeader } from './frame-decoder.js';
import { detectProtocol, type ThriftProtocolName } from './thrift-protocol.js';
import { encodeApplicationException, encodeStatusReply, readSourceCall, RefusedCall, type Status } from './thrift-source-protocol.js';

/** What a connection needs from its source. */
export interface ThriftConnectionHost {
  readonly logger: Logger;
  readonly protocol: ThriftProtocolName;
  readonly maxFrameBytes: number;
  readonly maxBatchEvents: number;
  /** Commits one call's events; resolves OK after the commit, FAILED when the channels refused them. */
  deliver(events: SluiceEvent[], single: boolean): Promise<Status>;
  /** Counts a malformed call or frame (EventReadFail) and reports it as component.error. */
  readFailed(error: unknown): void;
}

/**
 * One client connection of the thrift source. Frames are served one at a time, in order; reading
 * pauses while a call is being committed, so a slow channel pushes back on the client through TCP.
 * A call is answered after its events were committed (OK) or refused (FAILED); a call the source
 * cannot serve gets a TApplicationException and the connection stays usable; a stream that is not
 * framed Thrift in the configured protocol is closed.
 */
export class ThriftConnection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  /** Settles when the frame being served is answered (stop waits for it). */
  idle: Promise<void> = Promise.resolve();

  constructor(private readonly socket: net.Socket, private readonly host: ThriftConnectionHost, private readonly peer: string) {
    this.decoder = new FrameDecoder(host.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      if (this.decoder.midFrame) host.logger.debug({ peer }, 'thrift client closed the connection in the middle of a frame; the partial call is dropped');
      void this.idle.then(() => {
        this.closed = true;
        socket.end();
      });
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.close(error, 'thrift client sent a bad frame; closing its connection');
      return;
    }
    if (frames.length === 0) return;
    this.queue.push(...frames);
    if (!this.busy) {
      this.socket.pause();
      this.idle = this.drain();
    }
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closed) await this.serve(this.queue.shift()!);
    } finally {
      this.busy = false;
      if (!this.closed && !this.socket.destroyed) this.socket.resume();
    }
  }

  private close(error: unknown, why: string): void {
    this.host.readFailed(error);
    this.closed = true;
    this.host.logger.warn({ peer: this.peer, code: errorCode(error), err: error }, why);
    this.socket.end();
  }

  private send(payload: Buffer): void {
    if (this.socket.destroyed) return;
    this.socket.cork();
    this.socket.write(frameHeader(payload.length));
    this.socket.write(payload);
    this.socket.uncork();
  }

  private async serve(frame: Buffer): Promise<void> {
    const { protocol } = this.host;
    const spoken = detectProtocol(frame);
    if (spoken !== undefined && spoken !== protocol) {
      this.close(new Error(`protocol mismatch: client speaks ${spoken}, source expects ${protocol}`), `thrift client speaks the ${spoken} protocol but this source is configured with protocol: ${protocol}; set the same protocol on both sides. Closing the connection`);
      return;
    }
    let call;
    try {
      call = readSourceCall(protocol, frame, this.host.maxBatchEvents);
    } catch (error) {
      if (!(error instanceof RefusedCall)) {
        this.close(error, 'thrift client sent an unreadable message; closing its connection');
        return;
      }
      this.host.readFailed(error);
      this.host.logger.warn({ peer: this.peer, method: error.method, err: error }, 'thrift client sent a call this source cannot serve; answered with a TApplicationException');
      this.send(encodeApplicationException(protocol, error.method, error.seqid, error.exceptionType, error.message));
      return;
    }
    const status = call.events.length === 0 ? 'OK' : await this.host.deliver(call.events, call.method === 'append');
    this.send(encodeStatusReply(protocol, call.method, call.seqid, status));
  }
}
