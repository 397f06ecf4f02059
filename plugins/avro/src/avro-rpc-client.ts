import net from 'node:net';
import tls from 'node:tls';
import { SluiceError, type SluiceEvent } from '@sluice/core';
import { AvroReader, AvroWriter } from './avro-binary.js';
import {
  encodeAppendBatchCall, PROTOCOL_HASH, PROTOCOL_JSON, readCallResult, readHandshakeResponse, writeHandshakeRequest, type Status,
} from './avro-source-protocol.js';
import { NettyFrameDecoder, type NettyFrame } from './netty-frame.js';
import { RpcStream } from './rpc-stream.js';

/** Where and how an {@link AvroRpcClient} connects. */
export interface AvroRpcClientOptions {
  host: string;
  port: number;
  /** Limit for TCP connect, TLS and the Avro handshake together. */
  connectTimeoutMs: number;
  /** Limit for one call's response. */
  requestTimeoutMs: number;
  /** zlib level; undefined for no compression. */
  compressionLevel?: number;
  /** TLS options; undefined for plain TCP. */
  tls?: tls.ConnectionOptions;
}

/** Responses are a few bytes; anything near this size is not an AvroSourceProtocol server. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

interface PendingCall {
  serial: number;
  resolve(payload: Buffer): void;
  reject(error: SluiceError): void;
  timer: NodeJS.Timeout;
}

/**
 * A client of Flume's AvroSourceProtocol over one Netty-framed connection (what Flume's
 * NettyAvroRpcClient does). `connect` opens the socket and completes the Avro handshake with a
 * ping, sending our protocol and its MD5, so a Java or Sluice server answers in one round trip;
 * later calls carry no handshake. One call at a time. A transport failure rejects with a retriable
 * SLUICE_DELIVERY_FAILED and leaves the client closed (make a new one to reconnect); an Avro error
 * answer rejects with SLUICE_EVENT_REJECTED (not retriable) and leaves the connection usable.
 */
export class AvroRpcClient {
  private readonly decoder = new NettyFrameDecoder({ maxFrameBytes: MAX_RESPONSE_BYTES });
  private serial = 0;
  private pending: PendingCall | undefined;
  private failure: SluiceError | undefined;

  private constructor(private readonly stream: RpcStream, private readonly options: AvroRpcClientOptions) {
    stream.input.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.socket.on('close', () => this.fail(this.error('the server closed the connection')));
    stream.socket.on('error', (err) => this.fail(this.error(`connection error: ${err.message}`, err)));
  }

  /**
   * Connects and handshakes within `connectTimeoutMs`. Rejects with SLUICE_DELIVERY_FAILED, also
   * when `signal` aborts the attempt (the sink is stopping).
   */
  static async connect(options: AvroRpcClientOptions, signal?: AbortSignal): Promise<AvroRpcClient> {
    const where = `${options.host}:${options.port}`;
    const aborted = () => new SluiceError('SLUICE_DELIVERY_FAILED', `avro sink: connecting to ${where} was abandoned because the sink is stopping`);
    if (signal?.aborted) throw aborted();
    const socket = options.tls
      ? tls.connect({ host: options.host, port: options.port, ...(net.isIP(options.host) ? {} : { servername: options.host }), ...options.tls })
      : net.connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const deadline = Date.now() + options.connectTimeoutMs;
    const timedOut = (what: string) => new SluiceError('SLUICE_DELIVERY_FAILED', `avro sink: ${what} ${where} took longer than connectTimeout (${options.connectTimeoutMs} ms); check that the collector is up and reachable`, { details: { timeout: true } });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(timedOut('connecting to')), options.connectTimeoutMs);
        socket.once(options.tls ? 'secureConnect' : 'connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(new SluiceError('SLUICE_DELIVERY_FAILED', `avro sink cannot connect to ${where}: ${err.message}; check that the collector is up and reachable`, { cause: err }));
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
    const client = new AvroRpcClient(new RpcStream(socket, options.compressionLevel), options);
    const abort = () => client.close();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await client.handshake(Math.max(1, deadline - Date.now()));
    } catch (error) {
      client.close();
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    return client;
  }

  /** True until a failure or `close`. */
  get open(): boolean {
    return this.failure === undefined && !this.stream.socket.destroyed;
  }

  /** Sends one appendBatch call; resolves the server's status within `requestTimeoutMs`. */
  async appendBatch(events: readonly SluiceEvent[]): Promise<Status> {
    const payload = await this.call(encodeAppendBatchCall(events), this.options.requestTimeoutMs, 'appendBatch');
    const result = readCallResult(new AvroReader(payload));
    if ('error' in result) {
      // Flume's source answers FAILED for anything retrying can fix; an error answer means the call
      // itself was refused (malformed, too large, unknown message), so resending it cannot help.
      throw new SluiceError('SLUICE_EVENT_REJECTED', `avro sink -> ${this.options.host}:${this.options.port}: the server refused the appendBatch call: ${result.error}`, { details: { remoteError: result.error } });
    }
    return result.status;
  }

  close(): void {
    this.fail(this.error('the client was closed'));
  }

  private async handshake(timeoutMs: number): Promise<void> {
    const ping = writeHandshakeRequest(new AvroWriter(PROTOCOL_JSON.length + 64), {
      clientHash: PROTOCOL_HASH, clientProtocol: PROTOCOL_JSON, serverHash: PROTOCOL_HASH, meta: null,
    }).long(0).string('').finish();
    const payload = await this.call(ping, timeoutMs, 'handshake');
    const response = readHandshakeResponse(new AvroReader(payload));
    if (response.match === 'NONE') {
      throw this.error('the server does not accept AvroSourceProtocol (handshake match NONE); is it a Flume avro source?');
    }
  }

  private call(payload: Buffer, timeoutMs: number, what: string): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new TypeError('AvroRpcClient: one call at a time'));
    const serial = (this.serial = (this.serial + 1) | 0);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(this.error(`no answer to ${what} within ${timeoutMs} ms (requestTimeout/connectTimeout); the collector may be overloaded or stuck`, undefined, { timeout: true }));
      }, timeoutMs);
      this.pending = { serial, resolve, reject, timer };
      const header = Buffer.allocUnsafe(12);
      header.writeInt32BE(serial, 0);
      header.writeInt32BE(1, 4);
      header.writeInt32BE(payload.length, 8);
      this.stream.sendv([header, payload]);
    });
  }

  private onData(chunk: Buffer): void {
    let frames: NettyFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(this.error(`the server sent a bad frame: ${(error as Error).message}`, error));
      return;
    }
    for (const frame of frames) {
      const pending = this.pending;
      if (!pending || pending.serial !== frame.serial) continue; // a late answer to an abandoned call
      this.pending = undefined;
      clearTimeout(pending.timer);
      pending.resolve(frame.payload);
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
    this.stream.destroy();
  }

  private error(message: string, cause?: unknown, details: Record<string, unknown> = {}): SluiceError {
    return new SluiceError('SLUICE_DELIVERY_FAILED', `avro sink -> ${this.options.host}:${this.options.port}: ${message}`, { cause, details });
  }
}
