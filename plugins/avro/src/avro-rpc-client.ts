import { connectRpcSocket, RpcClient, SluiceError, type RpcConnectOptions, type SluiceEvent } from '@sluice/core';
import { AvroReader, AvroWriter } from './avro-binary.js';
import {
  encodeAppendBatchCall, PROTOCOL_HASH, PROTOCOL_JSON, readCallResult, readHandshakeResponse, writeHandshakeRequest, type Status,
} from './avro-source-protocol.js';
import { NettyFrameDecoder, type NettyFrame } from './netty-frame.js';
import { RpcStream } from './rpc-stream.js';

/** Where and how an {@link AvroRpcClient} connects. */
export interface AvroRpcClientOptions extends RpcConnectOptions {
  /** Limit for TCP connect, TLS and the Avro handshake together. */
  connectTimeoutMs: number;
  /** Limit for one call's response. */
  requestTimeoutMs: number;
  /** zlib level; undefined for no compression. */
  compressionLevel?: number;
}

/** Responses are a few bytes; anything near this size is not an AvroSourceProtocol server. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * A client of Flume's AvroSourceProtocol over one Netty-framed connection (what Flume's
 * NettyAvroRpcClient does). `connect` opens the socket and completes the Avro handshake with a
 * ping, sending our protocol and its MD5, so a Java or Sluice server answers in one round trip;
 * later calls carry no handshake. One call at a time. A transport failure rejects with a retriable
 * SLUICE_DELIVERY_FAILED and leaves the client closed (make a new one to reconnect); an Avro error
 * answer rejects with SLUICE_EVENT_REJECTED (not retriable) and leaves the connection usable.
 */
export class AvroRpcClient extends RpcClient {
  private readonly decoder = new NettyFrameDecoder({ maxFrameBytes: MAX_RESPONSE_BYTES });
  private serial = 0;

  private constructor(private readonly stream: RpcStream, private readonly options: AvroRpcClientOptions) {
    super(stream.socket, `avro sink -> ${options.host}:${options.port}`);
    stream.input.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /**
   * Connects and handshakes within `connectTimeoutMs`. Rejects with SLUICE_DELIVERY_FAILED, also
   * when `signal` aborts the attempt (the sink is stopping).
   */
  static async connect(options: AvroRpcClientOptions, signal?: AbortSignal): Promise<AvroRpcClient> {
    const deadline = Date.now() + options.connectTimeoutMs;
    const socket = await connectRpcSocket(options, 'avro', signal);
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

  /** Sends one appendBatch call; resolves the server's status within `requestTimeoutMs`. */
  async appendBatch(events: readonly SluiceEvent[]): Promise<Status> {
    const payload = await this.send(encodeAppendBatchCall(events), 'appendBatch', this.options.requestTimeoutMs, 'requestTimeout');
    const result = readCallResult(new AvroReader(payload));
    if ('error' in result) {
      // Flume's source answers FAILED for anything retrying can fix; an error answer means the call
      // itself was refused (malformed, too large, unknown message), so resending it cannot help.
      throw new SluiceError('SLUICE_EVENT_REJECTED', `avro sink -> ${this.options.host}:${this.options.port}: the server refused the appendBatch call: ${result.error}`, { details: { remoteError: result.error } });
    }
    return result.status;
  }

  private async handshake(timeoutMs: number): Promise<void> {
    const ping = writeHandshakeRequest(new AvroWriter(PROTOCOL_JSON.length + 64), {
      clientHash: PROTOCOL_HASH, clientProtocol: PROTOCOL_JSON, serverHash: PROTOCOL_HASH, meta: null,
    }).long(0).string('').finish();
    const payload = await this.send(ping, 'handshake', timeoutMs, 'connectTimeout');
    const response = readHandshakeResponse(new AvroReader(payload));
    if (response.match === 'NONE') {
      throw this.error('the server does not accept AvroSourceProtocol (handshake match NONE); is it a Flume avro source?');
    }
  }

  /** Sends one Netty frame holding `payload` and resolves the payload of the frame answering it. */
  private send(payload: Buffer, what: string, timeoutMs: number, limit: string): Promise<Buffer> {
    const serial = (this.serial = (this.serial + 1) | 0);
    return this.call(what, timeoutMs, limit, () => {
      const header = Buffer.allocUnsafe(12);
      header.writeInt32BE(serial, 0);
      header.writeInt32BE(1, 4);
      header.writeInt32BE(payload.length, 8);
      this.stream.sendv([header, payload]);
    }, serial);
  }

  private onData(chunk: Buffer): void {
    let frames: NettyFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(this.error(`the server sent a bad frame: ${(error as Error).message}`, error));
      return;
    }
    for (const frame of frames) this.answer(frame.payload, frame.serial);
  }

  protected override destroy(): void {
    this.stream.destroy();
  }
}
