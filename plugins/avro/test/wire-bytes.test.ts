import { expect } from 'chai';
import avro from 'avsc';
import { errorCode, isHeaderMap } from '@sluice/core';
import {
  AvroReader, AvroWriter, encodeAppendBatchCall, encodeNettyFrame, md5, NettyFrameDecoder, PROTOCOL_HASH, PROTOCOL_JSON,
  readCallResult, readEventArray, readHandshakeRequest, readHandshakeResponse, writeHandshakeRequest, writeHandshakeResponse,
} from '../src/index.js';
import { flumeService } from './peers.js';

/** Hex of the bytes of a string, for writing wire bytes as in reference/flume.md section 5. */
const str = (s: string) => Buffer.from(s, 'latin1').toString('hex');
const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/** The avsc types of Avro's handshake records (org.apache.avro.ipc), an independent codec to check ours. */
const md5Type = { type: 'fixed', name: 'MD5', size: 16 };
const avscHandshakeRequest = avro.Type.forSchema({
  type: 'record', name: 'HandshakeRequest', namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'clientHash', type: md5Type },
    { name: 'clientProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: 'MD5' },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
} as avro.Schema, { wrapUnions: false });
const avscHandshakeResponse = avro.Type.forSchema({
  type: 'record', name: 'HandshakeResponse', namespace: 'org.apache.avro.ipc',
  fields: [
    { name: 'match', type: { type: 'enum', name: 'HandshakeMatch', symbols: ['BOTH', 'CLIENT', 'NONE'] } },
    { name: 'serverProtocol', type: ['null', 'string'] },
    { name: 'serverHash', type: ['null', md5Type] },
    { name: 'meta', type: ['null', { type: 'map', values: 'bytes' }] },
  ],
} as avro.Schema, { wrapUnions: false });

describe('Avro RPC wire bytes (reference/flume.md section 5)', () => {
  it('encodes appendBatch([{headers:{a:"b"},body:"hi"}]) exactly as the reference payload', () => {
    const payload = encodeAppendBatchCall([{ headers: { a: 'b' }, body: Buffer.from('hi') }]);
    const expected = `00 16${str('appendBatch')} 02 02 02${str('a')} 02${str('b')} 00 04${str('hi')} 00`;
    expect(payload.toString('hex')).to.equal(hex(expected).toString('hex'));
  });

  it('decodes the reference appendBatch payload back to the event', () => {
    const r = new AvroReader(hex(`00 16${str('appendBatch')} 02 02 02${str('a')} 02${str('b')} 00 04${str('hi')} 00`));
    expect(r.bytesMap()).to.deep.equal({});
    expect(r.string()).to.equal('appendBatch');
    const events = readEventArray(r, 10);
    expect(events).to.have.length(1);
    expect(events[0]!.headers).to.deep.equal({ a: 'b' });
    expect(events[0]!.body.toString()).to.equal('hi');
    expect(r.remaining).to.equal(0);
  });

  it('encodes a batch the same as avsc encodes array<AvroFlumeEvent>', () => {
    const events: { headers: Record<string, string>; body: Buffer }[] = [
      { headers: { host: 'edge-1', 'ünïcode': 'välue' }, body: Buffer.alloc(300, 7) },
      { headers: {}, body: Buffer.alloc(0) },
      { headers: { seq: '12345678901234' }, body: Buffer.from('x'.repeat(70000)) },
    ];
    const ours = encodeAppendBatchCall(events);
    const prefix = Buffer.concat([hex('00'), avro.Type.forSchema('string').toBuffer('appendBatch')]);
    const avscArray = flumeService.message('appendBatch')!.requestType.toBuffer({ events });
    expect(ours.equals(Buffer.concat([prefix, avscArray]))).to.equal(true);
  });

  it('keeps a header named __proto__ as an ordinary header', () => {
    const payload = encodeAppendBatchCall([{ headers: JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>, body: Buffer.from('p') }]);
    const r = new AvroReader(payload);
    r.bytesMap();
    r.string();
    const [event] = readEventArray(r, 1);
    expect(isHeaderMap(event!.headers)).to.equal(true);
    expect(Object.keys(event!.headers)).to.deep.equal(['__proto__', 'a']);
    expect(event!.headers['__proto__']).to.equal('x');
  });

  it('parses the response 00 00 00 split into buffers of length 0, 1 and 2 as OK', () => {
    const frame = hex('0000002a 00000003 00000000 00000001 00 00000002 0000');
    const decoder = new NettyFrameDecoder({ maxFrameBytes: 1024 });
    const frames = decoder.push(frame);
    expect(frames).to.have.length(1);
    expect(frames[0]!.serial).to.equal(42);
    expect(frames[0]!.payload.toString('hex')).to.equal('000000');
    expect(readCallResult(new AvroReader(frames[0]!.payload))).to.deep.equal({ status: 'OK' });
  });

  it('parses FAILED (02) and UNKNOWN (04) statuses and an error answer', () => {
    expect(readCallResult(new AvroReader(hex('00 00 02')))).to.deep.equal({ status: 'FAILED' });
    expect(readCallResult(new AvroReader(hex('00 00 04')))).to.deep.equal({ status: 'UNKNOWN' });
    const error = Buffer.concat([hex('00 01 00'), avro.Type.forSchema('string').toBuffer('boom')]);
    expect(readCallResult(new AvroReader(error))).to.deep.equal({ error: 'boom' });
  });

  it('does not end a frame at a zero-length buffer, whatever the chunking', () => {
    const stream = Buffer.concat([
      hex('00000001 00000004 00000000 00000001 00 00000000 00000002 0000'),
      hex('00000002 00000001 00000003 000002'),
    ]);
    for (let size = 1; size <= stream.length; size++) {
      const decoder = new NettyFrameDecoder({ maxFrameBytes: 1024 });
      const frames = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...decoder.push(stream.subarray(i, i + size)));
      frames.push(...decoder.push(Buffer.alloc(0)));
      expect(frames.map((f) => [f.serial, f.payload.toString('hex')]), `chunks of ${size}`).to.deep.equal([[1, '000000'], [2, '000002']]);
      expect(decoder.midFrame).to.equal(false);
    }
  });

  it('writes frames as [serial][nBuffers]([len][bytes])*', () => {
    expect(encodeNettyFrame(7, [Buffer.alloc(0), hex('00'), hex('0000')]).toString('hex'))
      .to.equal('00000007' + '00000003' + '00000000' + '00000001' + '00' + '00000002' + '0000');
  });

  it('rejects an oversized frame and a negative count or length with SLUICE_PROTOCOL', () => {
    const cases = [hex('00000001 00000001 00100000'), hex('00000001 ffffffff'), hex('00000001 00000001 ffffffff')];
    for (const bytes of cases) {
      const decoder = new NettyFrameDecoder({ maxFrameBytes: 1024 });
      let caught: unknown;
      try {
        decoder.push(bytes);
      } catch (error) {
        caught = error;
      }
      expect(errorCode(caught), bytes.toString('hex')).to.equal('SLUICE_PROTOCOL');
    }
  });

  it('fails fast on a forged array count instead of looping or allocating', () => {
    const r = new AvroReader(hex('feffffffffffff0f 00'));
    expect(() => readEventArray(r, 1e9)).to.throw().with.property('code', 'SLUICE_PROTOCOL');
    expect(() => readEventArray(new AvroReader(hex('c801 00')), 10)).to.throw().with.property('code', 'SLUICE_PROTOCOL');
  });

  it('refuses a batch above maxBatchEvents with SLUICE_EVENT_REJECTED', () => {
    const payload = encodeAppendBatchCall(Array.from({ length: 5 }, () => ({ headers: {}, body: Buffer.from('x') })));
    const r = new AvroReader(payload);
    r.bytesMap();
    r.string();
    expect(() => readEventArray(r, 4)).to.throw().with.property('code', 'SLUICE_EVENT_REJECTED');
  });

  it('computes the protocol hash as the MD5 of the protocol JSON it sends, which avsc parses as the same protocol', () => {
    expect(PROTOCOL_HASH.equals(md5(PROTOCOL_JSON))).to.equal(true);
    const parsed = avro.Service.forProtocol(JSON.parse(PROTOCOL_JSON));
    expect(parsed.name).to.equal('org.apache.flume.source.avro.AvroSourceProtocol');
    expect(parsed.messages.map((m) => m.name).sort()).to.deep.equal(['append', 'appendBatch']);
    // Same wire types as the protocol avsc parsed from Flume's IDL.
    const ours = parsed.message('appendBatch')!.requestType;
    const idl = flumeService.message('appendBatch')!.requestType;
    expect(ours.equals(idl)).to.equal(true);
  });

  it('encodes handshake requests and responses as avsc decodes them, and reads what avsc encodes', () => {
    const request = { clientHash: PROTOCOL_HASH, clientProtocol: PROTOCOL_JSON, serverHash: md5('other'), meta: null };
    const bytes = writeHandshakeRequest(new AvroWriter(), request).finish();
    const viaAvsc = avscHandshakeRequest.fromBuffer(bytes) as { clientHash: Buffer; clientProtocol: string; serverHash: Buffer; meta: null };
    expect(viaAvsc.clientHash.equals(PROTOCOL_HASH)).to.equal(true);
    expect(viaAvsc.clientProtocol).to.equal(PROTOCOL_JSON);
    expect(viaAvsc.serverHash.equals(md5('other'))).to.equal(true);
    const back = readHandshakeRequest(new AvroReader(avscHandshakeRequest.toBuffer({ ...request, clientProtocol: null, meta: { k: Buffer.from('v') } })));
    expect(back.clientProtocol).to.equal(null);
    expect(back.meta!.k!.toString()).to.equal('v');

    for (const match of ['BOTH', 'CLIENT', 'NONE'] as const) {
      const response = { match, serverProtocol: match === 'BOTH' ? null : PROTOCOL_JSON, serverHash: match === 'BOTH' ? null : PROTOCOL_HASH, meta: null };
      const encoded = writeHandshakeResponse(new AvroWriter(), response).finish();
      expect(encoded.equals(avscHandshakeResponse.toBuffer(response)), match).to.equal(true);
      expect(readHandshakeResponse(new AvroReader(encoded))).to.deep.equal(response);
    }
  });
});
