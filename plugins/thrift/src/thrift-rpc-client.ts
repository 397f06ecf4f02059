import type net from 'node:net';
import { connectRpcSocket, RpcClient, SluiceError, type RpcConnectOptions, type SluiceEvent } from '@sluice/core';
import { FrameDecoder, frameHeader } from './frame-decoder.js';
import type { ThriftProtocolName } from './thrift-protocol.js';
import { encodeAppendBatchCall, readReply, type Status } from './thrift-source-protocol.js';

/** Where and how a {@link ThriftRpcClient} connects. */
export interface ThriftRpcClientOptions extends RpcConnectOptions {
  protocol: ThriftProtocolName;
  /** Limit for one call's answer. */
  requestTimeoutMs: number;
}

/** Answers are a few bytes; anything near this size is not a ThriftSourceProtocol server. */
const MAX_REPLY_BYTES = 1024 * 1024;

/**
 * A client of Flume's ThriftSourceProtocol over one framed connection (what Flume's ThriftRpcClient
 * does with TFastFramedTransport). One call at a time. A transport failure rejects with a retriable
 * SLUICE_DELIVERY_FAILED and leaves the client closed (make a new one to reconnect); a
 * TApplicationException answer rejects with SLUICE_EVENT_REJECTED (not retriable) and leaves the
 * connection usable.
 */
export class ThriftRpcClient extends RpcClient {
  private readonly decoder = new FrameDecoder(MAX_REPLY_BYTES);
  private seqid = 0;

  private constructor(socket: net.Socket, private readonly options: ThriftRpcClientOptions) {
    super(socket, `thrift sink -> ${options.host}:${options.port}`);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Connects (and handshakes TLS) within `connectTimeoutMs`; rejects with SLUICE_DELIVERY_FAILED, also when `signal` aborts. */
  static async connect(options: ThriftRpcClientOptions, signal?: AbortSignal): Promise<ThriftRpcClient> {
    return new ThriftRpcClient(await connectRpcSocket(options, 'thrift', signal), options);
  }

  /** Sends one appendBatch call; resolves the server's status within `requestTimeoutMs`. */
  async appendBatch(events: readonly SluiceEvent[]): Promise<Status> {
    const seqid = (this.seqid = (this.seqid + 1) | 0);
    const payload = encodeAppendBatchCall(this.options.protocol, seqid, events);
    const answer = await this.call('appendBatch', this.options.requestTimeoutMs, 'requestTimeout', () => {
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
      throw this.failed!;
    }
    if (reply.seqid !== seqid) {
      this.fail(this.error(`the server answered sequence id ${reply.seqid} to call ${seqid}`));
      throw this.failed!;
    }
    if ('exception' in reply) {
      throw new SluiceError('SLUICE_EVENT_REJECTED', `thrift sink -> ${this.options.host}:${this.options.port}: the server refused the appendBatch call: ${reply.exception}`, { details: { remoteError: reply.exception } });
    }
    return reply.status;
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(this.error(`the server sent a bad frame: ${(error as Error).message}`, error));
      return;
    }
    for (const frame of frames) this.answer(frame);
  }
}
