import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { silentLogger, type SluiceEvent } from '@sluice/core';
import { AvroWriter } from '../src/avro-binary.js';
import { PROTOCOL_HASH, writeHandshakeRequest } from '../src/avro-source-protocol.js';
import { encodeNettyFrame } from '../src/netty-frame.js';
import type { RpcStream } from '../src/rpc-stream.js';
import { SourceConnection, type SourceConnectionHost } from '../src/source-connection.js';

/** An RpcStream double whose peer never reads: every answer leaves it congested until the test drains it. */
class UnreadStream extends EventEmitter {
  readonly input = new PassThrough();
  readonly socket = new EventEmitter() as unknown as RpcStream['socket'];
  readonly sent: Buffer[] = [];
  congested = false;
  private release: (() => void) | undefined;
  send(data: Buffer): void {
    this.sent.push(data);
    this.congested = true;
  }
  drained(): Promise<void> {
    return this.congested ? new Promise((resolve) => { this.release = resolve; }) : Promise.resolve();
  }
  drain(): void {
    this.congested = false;
    this.release?.();
  }
  pause(): void { this.input.pause(); }
  resume(): void { this.input.resume(); }
  end(): void {}
}

describe('avro source connection backpressure', () => {
  it('stops reading from a client that does not read its answers, and goes on once they drained', async () => {
    const stream = new UnreadStream();
    const delivered: SluiceEvent[][] = [];
    const host: SourceConnectionHost = {
      logger: silentLogger, maxFrameBytes: 1 << 20, maxBatchEvents: 100, frameTimeoutMs: 0,
      handshake: () => ({ response: Buffer.alloc(0), established: true }),
      deliver: async (events) => { delivered.push(events); return 'OK'; },
      readFailed: () => undefined, badClient: () => undefined, holdPartial: () => true,
    };
    new SourceConnection(stream as unknown as RpcStream, host, 'test-peer');
    // Ten pings (no metadata, empty message name) pipelined in one chunk, as a client that never
    // reads sends them; the first carries the handshake.
    const hello = writeHandshakeRequest(new AvroWriter(), { clientHash: PROTOCOL_HASH, clientProtocol: null, serverHash: PROTOCOL_HASH, meta: null }).finish();
    const ping = (serial: number): Buffer => encodeNettyFrame(serial, serial === 1 ? [hello, Buffer.from([0x00, 0x00])] : [Buffer.from([0x00, 0x00])]);
    stream.input.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => ping(i + 1))));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.sent, 'one answer, then it waits for the peer to read').to.have.length(1);
    expect(stream.input.isPaused()).to.equal(true);
    for (let i = 2; i <= 10; i++) {
      stream.drain();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(stream.sent).to.have.length(i);
    }
    stream.drain();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stream.input.isPaused(), 'reading resumes once every answer drained').to.equal(false);
  });
});
