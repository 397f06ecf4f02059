import net from 'node:net';
import tls from 'node:tls';
import { SluiceError, type SluiceEvent } from '@sluice/core';
import { FrameDecoder, frameHeader } from './frame-decoder.js';
import type { ThriftProtocolName } from './thrift-protocol.js';
import { encodeAppendBatchCall, readReply, type Status } from './thrift-source-protocol.js';

/** Where and how a {@link ThriftRpcClient} connects. */
export interface ThriftRpcClientOptions {
  host: string;
  port: number;
  protocol: ThriftProtocolName;
  /** Limit for TCP connect and the TLS handshake together. */
  connectTimeoutMs: number;
  /** Limit for one call's answer. */
  requestTimeoutMs: number;
  /** TLS options; undefined for plain TCP. */
  tls?: tls.ConnectionOptions;
}

/** Answers are a few bytes; anything near this size is not a ThriftSourceProtocol server. */
const MAX_REPLY_BYTES = 1024 * 1024;

interface PendingCall {
  seqid: number;
  resolve(payload: Buffer): void;
  reject(error: SluiceError): void;
  timer: NodeJS.Timeout;
}

/**
 * A client of Flume's ThriftSourceProtocol over one framed connection (what Flume's ThriftRpcClient
 * does with TFastFramedTransport). One call at a time. A transport failure rejects with a retriable
 * SLUICE_DELIVERY_FAILED and leaves the client closed (make a new one to reconnect); a
 * TApplicationException answer rejects with SLUICE_EVENT_REJECTED (not retriable) and leaves the
 * connection usable.
 */
export class ThriftRpcClient {
  private readonly decoder = new FrameDecoder(MAX_REPLY_BYTES);
  private seqid = 0;
  private pending: PendingCall | undefined;
  private failure: SluiceError | undefined;

  private constructor(private readonly socket: net.Socket, private readonly options: ThriftRpcClientOptions) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.fail(this.error('the server closed the connection')));
    socket.on('error', (err) => this.fail(this.error(`connection error: ${err.message}`, err)));
  }

  /** Connects (and handshakes TLS) within `connectTimeoutMs`; rejects with SLUICE_DELIVERY_FAILED, also when `signal` aborts. */
  static async connect(options: ThriftRpcClientOptions, signal?: AbortSignal): Promise<ThriftRpcClient> {
    const where = `${options.host}:${options.port}`;
    const aborted = () => new SluiceError('SLUICE_DELIVERY_FAILED', `thrift sink: connecting to ${where} was abandoned because the sink is stopping`);
    if (signal?.aborted) throw aborted();
    const socket = options.tls
      ? tls.connect({ host: options.host, port: options.port, ...(net.isIP(options.host) ? {} : { servername: options.host }), ...options.tls })
      : net.connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new SluiceError('SLUICE_DELIVERY_FAILED', `thrift sink: connecting to ${where} took longer than connectTimeout (${options.connectTimeoutMs} ms); check that the collector is up and reachable`, { details: { timeout: true } })), options.connectTimeoutMs);
        socket.once(options.tls ? 'secureConnect' : 'connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(new SluiceError('SLUICE_DELIVERY_FAILED', `thrift sink cannot connect to ${where}: ${err.message}; check that the collector is up and reachable`, { cause: err }));
        });
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(aborted());
        }, { once: true });
      });
    } catch (error) {
      socket.destroy();
      throw error;
    }
    return new ThriftRpcClient(socket, options);
  }

  /** True until a failure or `close`. */
  get open(): boolean {
    return this.failure === undefined && !this.socket.destroyed;
  }

  /** Sends one appendBatch call; resolves the server's status within `requestTimeoutMs`. */
  async appendBatch(events: readonly SluiceEvent[]): Promise<Status> {
    if (this.failure) throw this.failure;
    if (this.pending) throw new TypeError('ThriftRpcClient: one call at a time');
    const seqid = (this.seqid = (this.seqid + 1) | 0);
    const payload = encodeAppendBatchCall(this.options.protocol, seqid, events);
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(this.error(`no answer to appendBatch within ${this.options.requestTimeoutMs} ms (requestTimeout); the collector may be overloaded or stuck`, undefined, { timeout: true }));
      }, this.options.requestTimeoutMs);
      this.pending = { seqid, resolve, reject, timer };
      this.socket.cork();
      this.socket.write(frameHeader(payload.length));
      this.socket.write(payload);
      this.socket.uncork();
    });
    let reply;
    try {
      reply = readReply(this.options.protocol, answer, 'appendBatch');
    } catch (error) {
      this.fail(this.error(`the server sent an unreadable answer: ${(error as Error).message}; is it a thrift source with protocol ${this.options.protocol}?`, error));
      throw this.failure;
    }
    if (reply.seqid !== seqid) {
      this.fail(this.error(`the server answered sequence id ${reply.seqid} to call ${seqid}`));
      throw this.failure;
    }
    if ('exception' in reply) {
      throw new SluiceError('SLUICE_EVENT_REJECTED', `thrift sink -> ${this.options.host}:${this.options.port}: the server refused the appendBatch call: ${reply.exception}`, { details: { remoteError: reply.exception } });
    }
    return reply.status;
  }

  close(): void {
    this.fail(this.error('the client was closed'));
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(this.error(`the server sent a bad frame: ${(error as Error).message}`, error));
      return;
    }
    for (const frame of frames) {
      const pending = this.pending;
      if (!pending) continue;
      this.pending = undefined;
      clearTimeout(pending.timer);
      pending.resolve(frame);
    }
  }

  private fail(error: SluiceError): void {
    if (!this.failure) this.failure = error;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(this.failure);
    }
    this.socket.destroy();
  }

  private error(message: string, cause?: unknown, details: Record<string, unknown> = {}): SluiceError {
    return new SluiceError('SLUICE_DELIVERY_FAILED', `thrift sink -> ${this.options.host}:${this.options.port}: ${message}`, { cause, details });
  }
}
