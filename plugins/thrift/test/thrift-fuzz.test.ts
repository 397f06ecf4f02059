import { EventEmitter } from 'node:events';
import type net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { silentLogger, SluiceError, type SluiceEvent } from '@sluice/core';
import { bytesView, expectSameJson, fc, fuzzTarget, mutatedBytes, onlySluiceErrors, splitAt } from '@sluice/testkit';
import { FrameDecoder, frameHeader } from '../src/frame-decoder.js';
import { ThriftConnection, type ThriftConnectionHost } from '../src/thrift-connection.js';
import { detectProtocol, type ThriftProtocolName } from '../src/thrift-protocol.js';
import {
  encodeAppendBatchCall, encodeAppendCall, encodeApplicationException, encodeStatusReply, readReply, readSourceCall, RefusedCall,
} from '../src/thrift-source-protocol.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Saved counterexamples, in the source tree (this file runs from dist/test). */
const REGRESSIONS = path.resolve(HERE, '../../test/fixtures/fuzz');

const MAX_FRAME_BYTES = 128;
const MAX_BATCH_EVENTS = 4;
const PROTOCOLS: ThriftProtocolName[] = ['compact', 'binary'];

const event = (i: number, headers: Record<string, string> = { h: String(i) }): SluiceEvent => ({ headers, body: Buffer.from(`e${i}`) });
/** Calls and answers of both protocols worth mutating, among them headers named __proto__ and constructor. */
const seeds: Buffer[] = PROTOCOLS.flatMap((protocol) => [
  encodeAppendBatchCall(protocol, 1, [event(0), event(1)]),
  encodeAppendBatchCall(protocol, 2, []),
  encodeAppendCall(protocol, 3, event(2, { __proto__x: 'p', constructor: 'c' })),
  encodeAppendBatchCall(protocol, 4, [event(3, JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string>)]),
  encodeAppendBatchCall(protocol, 5, Array.from({ length: 6 }, (_, i) => event(i))),
  encodeStatusReply(protocol, 'appendBatch', 6, 'OK'),
  encodeApplicationException(protocol, 'append', 7, 1, 'nope'),
]);

/** A seed with a few bytes replaced, inserted or removed, or random bytes. */
const messages = mutatedBytes(seeds, { seedWeight: 4, randomMaxLength: 40 });

/** Framed streams of (mutated) messages, some with a forged length, and raw noise. */
const streams = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(messages, fc.oneof(fc.constant(undefined), fc.integer())), { minLength: 1, maxLength: 4 })
    .map((frames) => new Uint8Array(Buffer.concat(frames.flatMap(([bytes, forged]) => [frameHeader(forged ?? bytes.length), bytesView(bytes)])))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }) },
);

interface Decoded {
  frames: string[];
  error?: string;
  overheld: boolean;
}

/** Feeds the chunks to a fresh decoder; a rejected chunk still yields the frames it completed before the bad length. */
function decode(chunks: Buffer[]): Decoded {
  const decoder = new FrameDecoder(MAX_FRAME_BYTES);
  const frames: string[] = [];
  let fed = 0;
  let overheld = false;
  for (const chunk of chunks) {
    fed += chunk.length;
    const result = onlySluiceErrors(() => decoder.push(chunk));
    if (result instanceof SluiceError) {
      for (const f of (result.details?.completed as Buffer[] | undefined) ?? []) frames.push(f.toString('hex'));
      return { frames, error: result.message, overheld };
    }
    for (const f of result) frames.push(f.toString('hex'));
    if ((decoder as unknown as { buffered: number }).buffered > fed) overheld = true;
  }
  return { frames, overheld };
}

/** A net.Socket double: records what is written, honours pause and end. */
class FakeSocket extends EventEmitter {
  readonly written: Buffer[] = [];
  paused = false;
  ended = false;
  destroyed = false;
  pause(): this { this.paused = true; return this; }
  resume(): this { this.paused = false; return this; }
  cork(): void {}
  uncork(): void {}
  write(data: Buffer): boolean { this.written.push(data); return true; }
  end(): this { this.ended = true; return this; }
}

describe('thrift framing and protocol decoding @fuzz', function () {
  this.timeout(0);

  it('@fuzz frame decoder: any chunking gives the frames and error of the whole stream; a forged length holds nothing it was not sent', async () => {
    await fuzzTarget('thrift-frame-chunking', [streams, fc.array(fc.nat({ max: 400 }), { maxLength: 6 })], (bytes, cuts) => {
      const stream = bytesView(bytes);
      const whole = decode([stream]);
      expectSameJson(decode(splitAt(stream, cuts)), whole, 'chunked like whole');
      if (whole.overheld) throw new Error('the decoder held more than it was sent');
    }, { regressions: REGRESSIONS });
  });

  it('@fuzz protocol decoding: mutated and random messages decode or fail with a SluiceError, in both protocols, server and client side', async () => {
    await fuzzTarget('thrift-protocol-decode', [messages, fc.constantFrom(...PROTOCOLS)], (bytes, protocol) => {
      const payload = bytesView(bytes);
      const call = onlySluiceErrors(() => readSourceCall(protocol, payload, MAX_BATCH_EVENTS));
      if (!(call instanceof SluiceError)) {
        if (call.events.length > MAX_BATCH_EVENTS) throw new Error(`${call.events.length} events, over maxBatchEvents`);
        for (const e of call.events) {
          if (Object.prototype.isPrototypeOf(e.headers)) throw new Error('headers have Object.prototype above them');
          for (const key in e.headers) if (typeof e.headers[key] !== 'string') throw new Error(`header ${key} is not a string`);
          if (e.body.length > payload.length) throw new Error('a body longer than the message');
        }
      }
      onlySluiceErrors(() => readReply(protocol, payload, 'appendBatch'));
    }, { regressions: REGRESSIONS });
  });

  it('@fuzz connection: every call completed before a bad frame is answered, in order, however the stream is cut', async () => {
    await fuzzTarget('thrift-connection-answers', [streams, fc.array(fc.nat({ max: 400 }), { maxLength: 4 }), fc.constantFrom(...PROTOCOLS)], async (bytes, cuts, protocol) => {
      const stream = bytesView(bytes);
      const socket = new FakeSocket();
      const host: ThriftConnectionHost = {
        logger: silentLogger, protocol, maxFrameBytes: MAX_FRAME_BYTES, maxBatchEvents: MAX_BATCH_EVENTS, frameTimeoutMs: 0,
        deliver: async () => 'OK', readFailed: () => undefined,
      };
      const connection = new ThriftConnection(socket as unknown as net.Socket, host, 'fuzz');
      for (const chunk of splitAt(stream, cuts)) {
        if (socket.ended) break;
        socket.emit('data', chunk);
        while (socket.paused && !socket.ended) await connection.idle;
      }
      await connection.idle;
      // Each completed call is answered until one cannot be read at all (wrong protocol, unreadable header).
      let answers = 0;
      for (const hex of decode([stream]).frames) {
        const frame = Buffer.from(hex, 'hex');
        const spoken = detectProtocol(frame);
        if (spoken !== undefined && spoken !== protocol) break;
        const call = onlySluiceErrors(() => readSourceCall(protocol, frame, MAX_BATCH_EVENTS));
        if (call instanceof SluiceError && !(call instanceof RefusedCall)) break;
        answers++;
      }
      const replies = new FrameDecoder(1 << 20).push(Buffer.concat(socket.written));
      if (replies.length !== answers) throw new Error(`${replies.length} answers to ${answers} readable calls`);
    }, { regressions: REGRESSIONS });
  });

  it('keeps headers named __proto__ and constructor as own properties', () => {
    for (const protocol of PROTOCOLS) {
      const call = readSourceCall(protocol, seeds[protocol === 'compact' ? 3 : 10]!, MAX_BATCH_EVENTS);
      const { headers } = call.events[0]!;
      expect(Object.keys(headers), protocol).to.deep.equal(['__proto__', 'constructor']);
      expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).to.equal('p');
      expect(headers.constructor).to.equal('c');
    }
  });

  it('answers the calls a read completed before a bad frame length, then closes', async () => {
    const socket = new FakeSocket();
    const host: ThriftConnectionHost = {
      logger: silentLogger, protocol: 'compact', maxFrameBytes: MAX_FRAME_BYTES, maxBatchEvents: MAX_BATCH_EVENTS, frameTimeoutMs: 0,
      deliver: async () => 'OK', readFailed: () => undefined,
    };
    const connection = new ThriftConnection(socket as unknown as net.Socket, host, 'unit');
    const call = encodeAppendBatchCall('compact', 9, [event(0)]);
    socket.emit('data', Buffer.concat([frameHeader(call.length), call, frameHeader(1 << 30)]));
    await connection.idle;
    const replies = new FrameDecoder(1 << 20).push(Buffer.concat(socket.written));
    expect(replies.map((r) => readReply('compact', r, 'appendBatch'))).to.deep.equal([{ seqid: 9, status: 'OK' }]);
    expect(socket.ended).to.equal(true);
  });

  it('closes a connection whose frame does not arrive whole within frameTimeout', async () => {
    const socket = new FakeSocket();
    const failures: unknown[] = [];
    const host: ThriftConnectionHost = {
      logger: silentLogger, protocol: 'compact', maxFrameBytes: MAX_FRAME_BYTES, maxBatchEvents: MAX_BATCH_EVENTS, frameTimeoutMs: 50,
      deliver: async () => 'OK', readFailed: (error) => void failures.push(error),
    };
    new ThriftConnection(socket as unknown as net.Socket, host, 'unit');
    socket.emit('data', Buffer.concat([frameHeader(100), Buffer.from('only the start')]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(socket.ended).to.equal(true);
    expect((failures[0] as Error).message).to.match(/frameTimeout/);
  });

  it('gathers a frame trickled a byte per read into a few buffers, not one object per read', () => {
    const decoder = new FrameDecoder(1 << 20);
    const call = encodeAppendBatchCall('compact', 1, [{ headers: {}, body: Buffer.alloc(100_000, 0x61) }]);
    const stream = Buffer.concat([frameHeader(call.length), call]);
    let frames: Buffer[] = [];
    let most = 0;
    for (let i = 0; i < stream.length; i++) {
      frames = decoder.push(stream.subarray(i, i + 1));
      most = Math.max(most, decoder.heldChunks);
    }
    expect(frames).to.have.length(1);
    expect(frames[0]!.equals(call)).to.equal(true);
    expect(most).to.be.below(20);
  });
});
