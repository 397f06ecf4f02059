import { errorCode, SluiceError, type Logger, type SluiceEvent } from '@sluice/core';
import { AvroReader } from './avro-binary.js';
import {
  encodeErrorResponse, readEvent, readEventArray, readHandshakeRequest, type HandshakeRequest, type Status,
} from './avro-source-protocol.js';
import { encodeNettyFrame, NettyFrameDecoder, type NettyFrame } from './netty-frame.js';
import type { RpcStream } from './rpc-stream.js';

/** What a connection needs from its source. */
export interface SourceConnectionHost {
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  readonly maxBatchEvents: number;
  /** Answers a handshake: the encoded response and whether the connection is now established. */
  handshake(request: HandshakeRequest): { response: Buffer; established: boolean };
  /** Commits one call's events; resolves OK after the commit, FAILED when the channels refused them. */
  deliver(events: SluiceEvent[], single: boolean): Promise<Status>;
  /** Counts a malformed call or frame (EventReadFail) and reports it as component.error. */
  readFailed(error: unknown): void;
  /** Logs a misbehaving client, throttled so that many of them cannot flood the log. */
  badClient(kind: BadClientKind, fields: Record<string, unknown>): void;
  /** How long a frame may take to arrive whole, in ms (0: no limit). */
  readonly frameTimeoutMs: number;
  /**
   * Counts `delta` bytes of partial frames held by a connection against the source's budget
   * (maxPendingBytes) and the agent's; false when more do not fit (nothing is counted then), and the
   * connection must be dropped. A negative delta gives bytes back and always fits.
   */
  holdPartial(delta: number): boolean;
}

/** What a client did wrong: a frame the decoder rejects, or a call whose parameters are malformed. */
export type BadClientKind = 'frame' | 'call';

const STATUS_RESPONSE: Record<Status, Buffer> = {
  OK: Buffer.from([0, 0, 0]),
  FAILED: Buffer.from([0, 0, 2]),
  UNKNOWN: Buffer.from([0, 0, 4]),
};
const EMPTY = Buffer.alloc(0);

/**
 * One client connection of the avro source. Frames are handled one at a time, in order; reading
 * pauses while a call is being committed, so a slow channel pushes back on the client through TCP.
 * Each call is answered after its events were committed (OK) or refused (FAILED). A frame the
 * decoder rejects (garbage, oversized) closes the connection, after an error response when the
 * serial is known; a call whose parameters are malformed gets an error response.
 */
export class SourceConnection {
  private readonly decoder: NettyFrameDecoder;
  private readonly queue: NettyFrame[] = [];
  private established = false;
  private busy = false;
  private closed = false;
  /** A frame error found after the frames that preceded it in the same chunk; reported once they are answered. */
  private failure: unknown;
  /** Bytes of the frame in progress counted in the source's budget. */
  private held = 0;
  private frameTimer: NodeJS.Timeout | undefined;
  /** Settles when the frame being handled is answered (stop waits for it). */
  idle: Promise<void> = Promise.resolve();

  constructor(private readonly stream: RpcStream, private readonly host: SourceConnectionHost, private readonly peer: string) {
    this.decoder = new NettyFrameDecoder({ maxFrameBytes: host.maxFrameBytes });
    stream.input.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.input.on('end', () => {
      if (this.decoder.midFrame) host.logger.debug({ peer }, 'avro client closed the connection in the middle of a frame; the partial call is dropped');
      this.closeWhenIdle();
    });
    stream.socket.on('close', () => {
      this.closed = true;
      this.release();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: NettyFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      frames = ((error as { details?: { completed?: NettyFrame[] } }).details?.completed) ?? [];
      this.failure = error;
      this.closed = frames.length === 0;
    }
    this.account();
    for (const frame of frames) this.queue.push(frame);
    if (this.failure !== undefined && frames.length === 0) {
      this.reject(this.failure);
      return;
    }
    if (frames.length > 0 && !this.busy) {
      this.stream.pause();
      this.idle = this.drain();
    }
  }

  /** Keeps the source-wide count of partial-frame bytes and the frame completion timer up to date. */
  private account(): void {
    const buffered = this.failure === undefined ? this.decoder.bufferedBytes : 0;
    if (buffered !== this.held) {
      if (this.host.holdPartial(buffered - this.held)) {
        this.held = buffered;
      } else if (this.failure === undefined) {
        this.failure = new SluiceError('SLUICE_PROTOCOL', 'the avro source (or the agent, over all sources) holds its maxPendingBytes of unfinished input; this connection is dropped, resend later');
      }
    }
    if (!this.decoder.midFrame || this.failure !== undefined) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    } else if (this.frameTimer === undefined && this.host.frameTimeoutMs > 0) {
      this.frameTimer = setTimeout(() => {
        this.frameTimer = undefined;
        if (this.closed) return;
        this.reject(new SluiceError('SLUICE_PROTOCOL', `a frame did not arrive whole within frameTimeout (${this.host.frameTimeoutMs} ms); the connection is closed`));
      }, this.host.frameTimeoutMs);
      this.frameTimer.unref();
    }
  }

  /** Gives back what this connection held of the budget. */
  private release(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
    if (this.held > 0) this.host.holdPartial(-this.held);
    this.held = 0;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        await this.handle(this.queue.shift()!);
        // A client that does not read its answers stops being read: replies never pile up.
        if (this.stream.congested) await this.stream.drained();
      }
    } finally {
      this.busy = false;
      if (this.failure !== undefined && !this.closed) this.reject(this.failure);
      else if (!this.closed) this.stream.resume();
    }
  }

  private closeWhenIdle(): void {
    void this.idle.then(() => {
      this.closed = true;
      this.stream.end();
    });
  }

  /** A frame-level error: the stream cannot be resynchronised, so answer if possible and close. */
  private reject(error: unknown): void {
    this.host.readFailed(error);
    this.closed = true;
    this.release();
    const serial = (error as { details?: { serial?: number } }).details?.serial;
    this.host.badClient('frame', { peer: this.peer, code: errorCode(error), err: error });
    if (this.established && serial !== undefined) this.send(serial, [encodeErrorResponse((error as Error).message)]);
    this.stream.end();
  }

  private send(serial: number, buffers: Buffer[]): void {
    this.stream.send(encodeNettyFrame(serial, buffers));
  }

  private async handle(frame: NettyFrame): Promise<void> {
    const reader = new AvroReader(frame.payload);
    let handshake: Buffer = EMPTY;
    if (!this.established) {
      let answer;
      try {
        answer = this.host.handshake(readHandshakeRequest(reader));
      } catch (error) {
        this.reject(error);
        return;
      }
      handshake = answer.response;
      if (!answer.established) {
        this.send(frame.serial, [handshake]);
        return;
      }
      this.established = true;
    }
    let events: SluiceEvent[];
    let single = false;
    try {
      reader.bytesMap(); // call metadata, unused by Flume
      const message = reader.string();
      if (message === '') {
        this.send(frame.serial, [handshake]); // a handshake ping
        return;
      }
      if (message === 'appendBatch') {
        events = readEventArray(reader, this.host.maxBatchEvents);
      } else if (message === 'append') {
        events = [readEvent(reader)];
        single = true;
      } else {
        this.send(frame.serial, [handshake, encodeErrorResponse(`org.apache.avro.AvroRuntimeException: No such remote message: ${message}`)]);
        return;
      }
    } catch (error) {
      this.host.readFailed(error);
      this.host.badClient('call', { peer: this.peer, code: errorCode(error), err: error });
      this.send(frame.serial, [handshake, encodeErrorResponse((error as Error).message)]);
      return;
    }
    const status = events.length === 0 ? 'OK' : await this.host.deliver(events, single);
    this.send(frame.serial, handshake.length > 0 ? [handshake, STATUS_RESPONSE[status]] : [STATUS_RESPONSE[status]]);
  }
}
