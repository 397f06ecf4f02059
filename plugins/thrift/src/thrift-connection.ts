import type net from 'node:net';
import { errorCode, SluiceError, type Logger, type SluiceEvent } from '@sluice/core';
import { FrameDecoder, frameHeader } from './frame-decoder.js';
import { detectProtocol, type ThriftProtocolName } from './thrift-protocol.js';
import { encodeApplicationException, encodeStatusReply, readSourceCall, RefusedCall, type Status } from './thrift-source-protocol.js';

/** What a connection needs from its source. */
export interface ThriftConnectionHost {
  readonly logger: Logger;
  readonly protocol: ThriftProtocolName;
  readonly maxFrameBytes: number;
  readonly maxBatchEvents: number;
  /** How long a started frame may take to arrive whole, in ms (0: no limit). */
  readonly frameTimeoutMs: number;
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
 * framed Thrift in the configured protocol is closed, after the calls completed before the bad
 * frame were answered. A frame that does not arrive whole within frameTimeout closes it too.
 */
export class ThriftConnection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  /** A bad frame found after calls that preceded it in the same read; the connection closes once they are answered. */
  private failure: unknown;
  private frameTimer: NodeJS.Timeout | undefined;
  /** Settles when the frame being served is answered (stop waits for it). */
  idle: Promise<void> = Promise.resolve();

  constructor(private readonly socket: net.Socket, private readonly host: ThriftConnectionHost, private readonly peer: string) {
    this.decoder = new FrameDecoder(host.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.stopFrameTimer();
      if (this.decoder.midFrame) host.logger.debug({ peer }, 'thrift client closed the connection in the middle of a frame; the partial call is dropped');
      void this.idle.then(() => {
        this.closed = true;
        socket.end();
      });
    });
    socket.on('close', () => {
      this.closed = true;
      this.stopFrameTimer();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.failure !== undefined) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      frames = ((error as { details?: { completed?: Buffer[] } }).details?.completed) ?? [];
      this.failure = error;
    }
    this.watchFrame(frames.length > 0);
    if (frames.length === 0) {
      // While calls are being served, drain closes once they are answered.
      if (this.failure !== undefined && !this.busy) this.close(this.failure, 'thrift client sent a bad frame; closing its connection');
      return;
    }
    this.queue.push(...frames);
    if (!this.busy) {
      this.socket.pause();
      this.idle = this.drain();
    }
  }

  /** Times the frame in progress from its first bytes; a read that completed frames restarts the clock for the next one. */
  private watchFrame(progressed: boolean): void {
    if (this.frameTimer !== undefined && (progressed || !this.decoder.midFrame || this.failure !== undefined)) this.stopFrameTimer();
    if (this.frameTimer !== undefined || this.host.frameTimeoutMs <= 0 || !this.decoder.midFrame || this.failure !== undefined) return;
    this.frameTimer = setTimeout(() => this.frameTimedOut(), this.host.frameTimeoutMs);
    this.frameTimer.unref();
  }

  private frameTimedOut(): void {
    this.frameTimer = undefined;
    if (this.closed || this.failure !== undefined) return;
    // Calls being committed hold the socket paused: that wait is ours, not the client's.
    if (this.busy) {
      this.watchFrame(false);
      return;
    }
    this.close(new SluiceError('SLUICE_PROTOCOL', `a frame did not arrive whole within frameTimeout (${this.host.frameTimeoutMs} ms)`), 'thrift client started a frame and did not finish it within frameTimeout; closing its connection');
  }

  private stopFrameTimer(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closed) await this.serve(this.queue.shift()!);
    } finally {
      this.busy = false;
      if (this.failure !== undefined && !this.closed) this.close(this.failure, 'thrift client sent a bad frame; closing its connection');
      else if (!this.closed && !this.socket.destroyed) this.socket.resume();
    }
  }

  private close(error: unknown, why: string): void {
    this.host.readFailed(error);
    this.closed = true;
    this.stopFrameTimer();
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
