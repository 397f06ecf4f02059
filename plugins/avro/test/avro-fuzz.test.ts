import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { isHeaderMap, silentLogger, SluiceError, type SluiceEvent } from '@sluice/core';
import { bytesView, expectSameJson, fc, fuzzTarget, mutatedBytes, onlySluiceErrors, splitAt } from '@sluice/testkit';
import { AvroReader, AvroWriter } from '../src/avro-binary.js';
import {
  encodeAppendBatchCall, encodeErrorResponse, encodeStatusResponse, PROTOCOL_HASH, PROTOCOL_JSON, readCallResult, readEvent, readEventArray, readHandshakeRequest,
  readHandshakeResponse, writeEvent, writeHandshakeRequest, writeHandshakeResponse,
} from '../src/avro-source-protocol.js';
import { encodeNettyFrame, NettyFrameDecoder, type NettyFrame } from '../src/netty-frame.js';
import type { RpcStream } from '../src/rpc-stream.js';
import { SourceConnection, type SourceConnectionHost } from '../src/source-connection.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Saved counterexamples, in the source tree (this file runs from dist/test). */
const REGRESSIONS = path.resolve(HERE, '../../test/fixtures/fuzz');

const MAX_FRAME_BYTES = 96;
const MAX_BATCH_EVENTS = 5;

const hello = writeHandshakeRequest(new AvroWriter(), { clientHash: PROTOCOL_HASH, clientProtocol: PROTOCOL_JSON.slice(0, 40), serverHash: PROTOCOL_HASH, meta: null }).finish();
const sample = (n: number): SluiceEvent[] => Array.from({ length: n }, (_, i) => ({ headers: { h: String(i), __proto__x: 'p' }, body: Buffer.from(`event ${i}`) }));
/** Call bodies worth mutating: a batch, a single append, a ping, an unknown message, and a batch with a header named __proto__. */
const callSeeds: Buffer[] = [
  encodeAppendBatchCall(sample(2)),
  encodeAppendBatchCall([]),
  (() => { const w = new AvroWriter().long(0).string('append'); writeEvent(w, sample(1)[0]!); return w.finish(); })(),
  Buffer.from([0x00, 0x00]),
  new AvroWriter().long(0).string('nosuch').finish(),
  (() => {
    const w = new AvroWriter().long(0).string('appendBatch').long(1);
    w.long(2).string('__proto__').string('p').string('constructor').string('c').long(0).bytes(Buffer.from('body'));
    return w.long(0).finish();
  })(),
  // What the sink reads back: a handshake response, then a status or an error.
  Buffer.concat([writeHandshakeResponse(new AvroWriter(), { match: 'CLIENT', serverProtocol: PROTOCOL_JSON.slice(0, 30), serverHash: PROTOCOL_HASH, meta: null }).finish(), encodeStatusResponse('FAILED')]),
  encodeErrorResponse('org.apache.flume.ChannelException: full'),
];

/** A seed, with a few bytes replaced, inserted or removed, or random bytes. */
const callBytes = mutatedBytes(callSeeds, { seedWeight: 3, randomMaxLength: 40 });

/**
 * Netty streams: frames of calls (split into 1-3 buffers, serials small), sometimes with a header
 * field forged (count, length), plus raw noise.
 */
const nettyStreams = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(fc.integer({ min: -1, max: 9 }), callBytes, fc.nat({ max: 2 }), fc.oneof(fc.constant(undefined), fc.tuple(fc.nat({ max: 11 }), fc.integer()))), { minLength: 1, maxLength: 4 })
    .map((frames) => new Uint8Array(Buffer.concat(frames.map(([serial, bytes, parts, forge], i) => {
      const payload = i === 0 ? Buffer.concat([hello, bytesView(bytes)]) : bytesView(bytes);
      const cut = Math.floor(payload.length / 2);
      const buffers = parts === 0 ? [payload] : parts === 1 ? [payload.subarray(0, cut), payload.subarray(cut)] : [Buffer.alloc(0), payload];
      const frame = encodeNettyFrame(serial, buffers);
      if (forge) frame.writeInt32BE(forge[1] | 0, Math.min(forge[0], frame.length - 4) & ~3);
      return frame;
    })))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }) },
);

interface Decoded {
  frames: { serial: number; payload: string }[];
  error?: string;
  /** Most bytes the decoder held at once, against what it was fed. */
  overheld: boolean;
}

/** Feeds the chunks to a fresh decoder; a rejected chunk still yields the frames it completed before the bad one. */
function decode(chunks: Buffer[]): Decoded {
  const decoder = new NettyFrameDecoder({ maxFrameBytes: MAX_FRAME_BYTES });
  const frames: Decoded['frames'] = [];
  const keep = (list: NettyFrame[]): void => { for (const f of list) frames.push({ serial: f.serial, payload: f.payload.toString('hex') }); };
  let fed = 0;
  let overheld = false;
  for (const chunk of chunks) {
    fed += chunk.length;
    const result = onlySluiceErrors(() => decoder.push(chunk));
    if (result instanceof SluiceError) {
      keep((result.details?.completed as NettyFrame[] | undefined) ?? []);
      return { frames, error: result.message, overheld };
    }
    keep(result);
    if (decoder.bufferedBytes > Math.min(fed, MAX_FRAME_BYTES)) overheld = true;
  }
  return { frames, overheld };
}

/** Decodes one call body as the source does after the handshake; SluiceErrors are answers, anything else a bug. */
function decodeCall(payload: Buffer, withHandshake: boolean): SluiceEvent[] | SluiceError {
  return onlySluiceErrors(() => {
    const reader = new AvroReader(payload);
    if (withHandshake) readHandshakeRequest(reader);
    reader.bytesMap();
    const message = reader.string();
    if (message === 'appendBatch') return readEventArray(reader, MAX_BATCH_EVENTS);
    if (message === 'append') return [readEvent(reader)];
    return [];
  });
}

/** An RpcStream double that records answers and whether reading is paused. */
class RecordingStream extends EventEmitter {
  readonly input = new EventEmitter();
  readonly socket = new EventEmitter() as unknown as RpcStream['socket'];
  readonly sent: number[] = [];
  paused = false;
  ended = false;
  congested = false;
  send(data: Buffer): void { this.sent.push(data.readInt32BE(0)); }
  drained(): Promise<void> { return Promise.resolve(); }
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }
  end(): void { this.ended = true; }
}

describe('avro netty framing and call decoding @fuzz', function () {
  this.timeout(0);

  it('@fuzz netty decoder: any chunking gives the frames and error of the whole stream, never holding more than was sent', async () => {
    await fuzzTarget('avro-netty-chunking', [nettyStreams, fc.array(fc.nat({ max: 400 }), { maxLength: 6 })], (bytes, cuts) => {
      const stream = bytesView(bytes);
      const whole = decode([stream]);
      const chunked = decode(splitAt(stream, cuts));
      expectSameJson(chunked, whole, 'chunked like whole');
      if (whole.overheld || chunked.overheld) throw new Error('the decoder held more than was sent or maxFrameBytes');
    }, { regressions: REGRESSIONS });
  });

  it('@fuzz avro call decoding: mutated and random calls and answers decode or fail with a SluiceError; headers stay own properties', async () => {
    await fuzzTarget('avro-call-decode', [callBytes, fc.boolean()], (bytes, withHandshake) => {
      const payload = bytesView(bytes);
      // The sink's side: the server's handshake response and call result.
      onlySluiceErrors(() => {
        const reader = new AvroReader(payload);
        if (withHandshake) readHandshakeResponse(reader);
        return readCallResult(reader);
      });
      const events = decodeCall(withHandshake ? Buffer.concat([hello, payload]) : payload, withHandshake);
      if (events instanceof SluiceError) return;
      if (events.length > MAX_BATCH_EVENTS) throw new Error(`${events.length} events, over maxBatchEvents`);
      for (const event of events) {
        if (!isHeaderMap(event.headers)) throw new Error('a __proto__ key replaced the prototype of the headers');
        for (const key of Object.keys(event.headers)) if (typeof event.headers[key] !== 'string') throw new Error(`header ${key} is not a string`);
        if (event.body.length > payload.length) throw new Error('a body longer than the call');
      }
    }, { regressions: REGRESSIONS });
  });

  it('@fuzz avro connection: every frame completed before a bad one is answered once, in order, however the stream is cut', async () => {
    await fuzzTarget('avro-connection-answers', [nettyStreams, fc.array(fc.nat({ max: 400 }), { maxLength: 4 })], async (bytes, cuts) => {
      const stream = bytesView(bytes);
      const expected = decode([stream]);
      const rpc = new RecordingStream();
      const host: SourceConnectionHost = {
        logger: silentLogger, maxFrameBytes: MAX_FRAME_BYTES, maxBatchEvents: MAX_BATCH_EVENTS, frameTimeoutMs: 0,
        handshake: () => ({ response: Buffer.alloc(0), established: true }),
        deliver: async () => 'OK', readFailed: () => undefined, badClient: () => undefined, holdPartial: () => true,
      };
      const connection = new SourceConnection(rpc as unknown as RpcStream, host, 'fuzz');
      for (const chunk of splitAt(stream, cuts)) {
        if (rpc.ended) break;
        rpc.input.emit('data', chunk);
        while (rpc.paused && !rpc.ended) await connection.idle;
      }
      await connection.idle;
      // The first frame must open with a readable handshake, or nothing is answered; after it every
      // completed frame is answered, and a frame error adds at most one error answer.
      const first = expected.frames[0];
      const opened = first !== undefined && !(onlySluiceErrors(() => readHandshakeRequest(new AvroReader(Buffer.from(first.payload, 'hex')))) instanceof SluiceError);
      const answered = opened ? expected.frames.length : 0;
      const serials = expected.frames.slice(0, answered).map((f) => f.serial);
      expectSameJson(rpc.sent.slice(0, serials.length), serials, 'completed frames are answered in order');
      const extra = rpc.sent.length - serials.length;
      if (extra < 0 || extra > (expected.error !== undefined && answered > 0 ? 1 : 0)) throw new Error(`${rpc.sent.length} answers to ${serials.length} completed frames (error: ${expected.error})`);
    }, { regressions: REGRESSIONS });
  });

  it('keeps headers named __proto__ and constructor as own properties', () => {
    const events = decodeCall(callSeeds[5]!, false);
    expect(events).to.be.an('array').with.length(1);
    const { headers } = (events as SluiceEvent[])[0]!;
    expect(Object.keys(headers)).to.deep.equal(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).to.equal('p');
    expect(headers.constructor).to.equal('c');
  });

  it('gathers a frame trickled a byte per read into a few buffers, not one object per read', () => {
    const decoder = new NettyFrameDecoder({ maxFrameBytes: 1 << 20 });
    const call = encodeAppendBatchCall([{ headers: {}, body: Buffer.alloc(100_000, 0x61) }]);
    const first = encodeNettyFrame(7, [call.subarray(0, 10), call.subarray(10)]);
    const stream = Buffer.concat([first, encodeNettyFrame(8, [call])]);
    const frames: NettyFrame[] = [];
    let most = 0;
    // The first frame a byte per read, the second in reads of 1500 bytes and of 1 byte in turn.
    for (let i = 0, big = false; i < stream.length; big = !big) {
      const size = i < first.length || !big ? 1 : 1500;
      frames.push(...decoder.push(stream.subarray(i, i + size)));
      most = Math.max(most, decoder.heldParts);
      i += size;
    }
    expect(frames.map((f) => [f.serial, f.payload.equals(call)])).to.deep.equal([[7, true], [8, true]]);
    expect(most).to.be.below(200);
  });
});
