import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { isHeaderMap, SluiceError, type SluiceEvent } from '@sluice/core';
import { createHarness, fc, fuzzTarget } from '@sluice/testkit';
import { decodeContent } from '../src/content-encoding.js';
import { queryOf } from '../src/http-source.js';
import { HANDLERS, HttpStatusError, httpSource, type HandlerName, type HttpSource } from '../src/index.js';
import { SOURCE_DEFAULTS } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Saved counterexamples, in the source tree (this file runs from dist/test). */
const REGRESSIONS = path.resolve(HERE, '../../test/fixtures/fuzz');
const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const MAX_BODY = 4096;

/** Bodies worth mutating: Flume batches (one with headers named __proto__ and constructor), ndjson, escapes, nesting. */
const BODY_SEEDS = [
  '[{"headers":{"host":"web1","n":1,"b":true},"body":"first"},{"body":"second"},{"headers":null,"body":null}]',
  '[{"headers":{"__proto__":"p","constructor":"c","toString":"t"},"body":"x"}]',
  '[{"headers":{"a":"x,y]}"},"body":"[1,2],\\"q\\\\"},{},{}]',
  '{"headers":{"a":"b"},"body":"one"}\n\n{"body":"two"}\r\n{"headers":{"__proto__":"p"}}\n',
  '{"body":"a"}\n\u00a0\n{"body":"b"}\n\u2028\t\n', '[]', ' [ ] ', '\ufeff[{"body":"bom"}]', '[[],{},1,"s",null]', '[{"headers":{"a":{"b":1}}}]',
];
const BODY_BYTES = '[]{}",:\\ \n\r\tab01nulltrue\u00a0\u2028\ufeff';
const bodies = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.nat({ max: 255 })), { maxLength: 3 })).map(([which, edits]) => {
    let text = BODY_SEEDS[which % BODY_SEEDS.length]!;
    for (const [at, kind, value] of edits) {
      const p = at % (text.length + 1);
      const c = BODY_BYTES[value % BODY_BYTES.length]!;
      if (kind === 0) text = text.slice(0, p) + text.slice(p + 1);
      else if (kind === 1) text = text.slice(0, p) + c + text.slice(p);
      else text = text.slice(0, p) + c + text.slice(p + 1);
    }
    return text;
  }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const CONTENT_TYPES = [
  undefined, 'application/json', 'application/json; charset=UTF-8', 'application/json;charset="utf-16"', 'application/json; charset=utf-16le',
  'application/json; charset=UTF-16BE', 'text/plain; charset=utf-32', 'application/json; charset=__proto__', 'application/json; charset=', 'x; charset=latin1',
];
const TARGETS = ['/', '/?a=1&b=2', '/?__proto__=p&constructor=c', '/?a=%zz', '//evil.example/x?y=1', '/%', 'http://[::1', '*', 'http://h:99999/', '/?a=1&a=2', '/?=', '/\u0000?x=\u00ff'];
const request = fc.record({
  handler: fc.constantFrom<HandlerName>('json', 'ndjson', 'blob'),
  body: bodies,
  // Mostly identity: compressing costs more than the rest of a case.
  encoding: fc.constantFrom('identity', 'identity', 'identity', 'identity', 'identity', 'identity', 'identity', 'gzip', 'deflate', 'br', 'gzip-corrupt', ''),
  contentType: fc.constantFrom(...CONTENT_TYPES),
  target: fc.oneof(fc.constantFrom(...TARGETS), fc.string({ maxLength: 12 }).map((s) => `/?${s}`)),
  maxEvents: fc.integer({ min: 1, max: 4 }),
});

/** Encodes the body text as the content type's charset says (UTF-8 when it names none or one we refuse). */
function encodeBody(text: string, contentType: string | undefined): Buffer {
  const charset = /charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset === 'utf-16le') return Buffer.from(text, 'utf16le');
  if (charset === 'utf-16' || charset === 'utf-16be') return Buffer.from(text, 'utf16le').swap16();
  return Buffer.from(text, 'utf8');
}

/** Events a well-formed body really holds, to hold a 413 to the truth; undefined when the body is not well-formed. */
function realCount(handler: HandlerName, text: string): number | undefined {
  try {
    if (handler === 'json') {
      const parsed = JSON.parse(text.replace(/^\ufeff/, '')) as unknown;
      return Array.isArray(parsed) ? parsed.length : undefined;
    }
    if (handler === 'ndjson') {
      const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      for (const line of lines) JSON.parse(line);
      return lines.length;
    }
  } catch {
    return undefined;
  }
  return 1;
}

/**
 * What the http source does with one request before delivering it: the target's query, the
 * Content-Encoding, then the handler. Resolves the events, or the 4xx it answers.
 */
async function read(r: { handler: HandlerName; body: string; encoding: string; contentType: string | undefined; target: string; maxEvents: number }): Promise<SluiceEvent[] | HttpStatusError> {
  const plain = encodeBody(r.body, r.contentType);
  const raw = r.encoding === 'gzip' ? gzipSync(plain) : r.encoding === 'deflate' ? deflateSync(plain) : r.encoding === 'gzip-corrupt' ? gzipSync(plain).subarray(0, 12) : plain;
  try {
    const query = queryOf(r.target);
    const body = await decodeContent(raw, r.encoding === 'gzip-corrupt' ? 'gzip' : r.encoding, MAX_BODY);
    return HANDLERS[r.handler]({ body, contentType: r.contentType, query, maxEvents: r.maxEvents });
  } catch (error) {
    if (error instanceof HttpStatusError) return error;
    throw error;
  }
}

describe('http source request reading @fuzz', function () {
  this.timeout(0);

  it('@fuzz handlers: hostile bodies, charsets, encodings and targets get events or a 4xx with a message, never a crash (a 500)', async () => {
    await fuzzTarget('http-request-handlers', [request], async (r) => {
      const result = await read(r);
      if (result instanceof HttpStatusError) {
        if (result.status < 400 || result.status > 499 || result.message.length < 10 || !/^[A-Z_]+$/.test(result.code)) throw new Error(`answered ${result.status} ${result.code}: ${result.message}`);
        if (result.status === 413) {
          const real = realCount(r.handler, r.body);
          if (real !== undefined && real <= r.maxEvents) throw new Error(`413 for ${real} events, within maxEventsPerRequest ${r.maxEvents}`);
        }
        return;
      }
      if (result.length > r.maxEvents) throw new Error(`${result.length} events built, over maxEventsPerRequest ${r.maxEvents}`);
      for (const event of result) {
        if (!isHeaderMap(event.headers)) throw new Error('headers inherit from a prototype');
        for (const key of Object.keys(event.headers)) if (typeof event.headers[key] !== 'string') throw new Error(`header ${key} is not a string`);
        if (!Buffer.isBuffer(event.body)) throw new Error('the body is not a Buffer');
      }
    }, {
      regressions: REGRESSIONS,
      // gzip and deflate run on libuv's thread pool, which a loaded machine can leave waiting longer
      // than the default 100 ms without the input being at fault.
      callLimitMs: 500,
    });
  });

  it('keeps headers named __proto__ and constructor from a JSON body and from the query of a blob', async () => {
    const json = await read({ handler: 'json', body: BODY_SEEDS[1]!, encoding: 'identity', contentType: 'application/json', target: '/', maxEvents: 10 });
    expect((json as SluiceEvent[])[0]!.headers).to.deep.equal(Object.assign(Object.create(null) as object, JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}')));
    const blob = await read({ handler: 'blob', body: 'raw', encoding: 'identity', contentType: undefined, target: '/?__proto__=p&constructor=c', maxEvents: 10 });
    expect(Object.keys((blob as SluiceEvent[])[0]!.headers)).to.deep.equal(['__proto__', 'constructor']);
  });

  it('answers 422, not 500, when the pipeline refuses the events for what they hold', async () => {
    const harness = await createHarness();
    const ctx = { ...harness.sourceContext('http-in'), deliver: async (): Promise<void> => { throw new SluiceError('SLUICE_EVENT_REJECTED', 'the interceptor refuses events without a host header'); } };
    const source = httpSource.create({ ...SOURCE_DEFAULTS, port: 0 }, ctx) as HttpSource;
    await source.start();
    try {
      const res = await fetch(`http://127.0.0.1:${source.port}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[{"body":"x"}]' });
      expect(res.status).to.equal(422);
      expect(await res.json()).to.deep.equal({ error: 'SLUICE_EVENT_REJECTED', message: 'the interceptor refuses events without a host header' });
    } finally {
      await source.stop();
      await harness.close();
    }
  });
});
