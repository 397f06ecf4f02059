import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { SluiceEvent } from '@sluice/core';
import { fc, fuzzTarget } from '@sluice/testkit';
import { RowReader } from '../src/row-reader.js';
import { createSimdScan } from '../src/simd-scan.js';
import { columnsOf } from '../src/sql-stage-config.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REGRESSIONS = path.resolve(HERE, '../../test/fixtures/fuzz');

/** Every column type, nested paths (through objects, strings and arrays), a header, prototype names. */
const COLUMNS = columnsOf({
  host: 'varchar',
  bytes: 'integer',
  d: 'double',
  ok: 'boolean',
  ts: 'timestamp',
  big: 'bigint',
  nested: { type: 'varchar', field: 'a.b' },
  deep: { type: 'integer', field: 'a.c.d' },
  len: { type: 'integer', field: 'host.length' },
  first: { type: 'varchar', field: 'tags.0' },
  tags: 'varchar',
  a: 'varchar',
  ctor: { type: 'varchar', field: 'constructor' },
  proto: { type: 'varchar', field: '__proto__' },
  h: { type: 'varchar', from: 'header' },
});
const STRICT = columnsOf({ host: { type: 'varchar', nullable: false }, bytes: { type: 'integer', nullable: false } });
/** Every type, all top-level fields: bodies of one shape are read by comparing their bytes with the shape's. */
const FLAT = columnsOf({
  host: 'varchar', bytes: 'integer', d: 'double', ok: 'boolean', ts: 'timestamp', big: 'bigint', tags: 'varchar', a: 'varchar',
  ctor: { type: 'varchar', field: 'constructor' }, proto: { type: 'varchar', field: '__proto__' }, h: { type: 'varchar', from: 'header' },
});

/** What the reader gives for an event: the reason it is bad, or the row (numbers compared with Object.is). */
function read(reader: RowReader, event: SluiceEvent, fallback: boolean, bodyAt = -1): unknown {
  const values = new Array<unknown>(reader.columns.length).fill('unset');
  const bad = fallback
    ? (reader as unknown as { readParsed(e: SluiceEvent, v: unknown[]): string | undefined }).readParsed(event, values)
    : reader.readInto(event, values, bodyAt);
  return bad ?? values.map((v) => (Object.is(v, -0) ? '-0' : v));
}

const SIMD = createSimdScan();
const READERS = [COLUMNS, STRICT, FLAT].map((columns) => ({ plain: new RowReader(columns), simd: new RowReader(columns, SIMD) }));

/**
 * Copies `body` into the SIMD memory at `offset` (as the stage's checkpoint encoding does), with
 * plain bytes after it, so a scan that ran past the copy's end would read on and disagree.
 */
function copyIntoSimd(body: Buffer, offset: number): number {
  const memory = SIMD!.memory;
  const need = offset + body.length + 64;
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65_536));
  const bytes = Buffer.from(memory.buffer);
  bytes.set(body, offset);
  bytes.fill(0x78, offset + body.length, need);
  return offset;
}

/**
 * The scanner's reading must equal the JSON.parse reading (the fallback, which is the reference),
 * with bodies read where they are and, through the SIMD code, with a copy in its memory (at each
 * alignment).
 */
function sameAsJsonParse(body: Buffer, headers: Record<string, string> = {}, readers = READERS): void {
  for (const { plain, simd } of readers) {
    const event = { headers, body };
    const parsed = read(plain, event, true);
    expect(read(plain, event, false), `body ${JSON.stringify(body.toString('latin1'))}`).to.deep.equal(parsed);
    for (let offset = 0; offset < 4; offset++) {
      expect(read(simd, event, false, copyIntoSimd(body, 1000 + offset)), `body ${JSON.stringify(body.toString('latin1'))}, copy at +${offset}`).to.deep.equal(parsed);
    }
  }
}

const KEYS = ['host', 'bytes', 'd', 'ok', 'ts', 'big', 'a', 'b', 'c', 'tags', '0', 'length', 'constructor', '__proto__', 'toString', 'x', 'hóst', ''];
const SPACE = fc.constantFrom('', '', '', ' ', '\n', '\t ', '\r\n');

/** JSON text (not always valid after mutation) of objects with the schema's keys, duplicates and all. */
const json = fc.letrec<{ value: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.string().map((s) => JSON.stringify(s)),
      // Long enough for the SIMD code (16 plain bytes in, at least 20 after).
      fc.tuple(fc.string({ minLength: 16, maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 3 }), fc.string({ minLength: 20, maxLength: 60 })).map(([a, b, c]) => JSON.stringify(a + b + c)),
      fc.string({ unit: 'binary', maxLength: 8 }).map((s) => JSON.stringify(s)),
      fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s).replace(/[a-z]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)),
      fc.integer().map(String),
      fc.double().map((n) => (Number.isFinite(n) ? JSON.stringify(n) : '1e400')),
      fc.constantFrom('0', '-0', '1.0', '1e3', '-12.5e-1', '9007199254740993', '123456789012345678', '"12"', '"-3"', '"1.5"', '" "', '"true"', '"2024-01-02T03:04:05Z"', 'true', 'false', 'null'),
    ),
    tie('object'),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
  ),
  object: fc.array(fc.tuple(fc.oneof(fc.constantFrom('a', 'c', 'b', 'host', 'tags'), fc.constantFrom(...KEYS)), SPACE, tie('value'), SPACE), { maxLength: 6 })
    .map((entries) => `{${entries.map(([k, s1, v, s2]) => `${s1}${JSON.stringify(k)}${s2}:${s1}${v}${s2}`).join(',')}}`),
}));
const jsonText: fc.Arbitrary<string> = json.object;

/** Byte edits that break or bend a valid body: insert, delete or replace one byte. */
const edit = fc.option(fc.tuple(
  fc.constantFrom('insert', 'delete', 'replace'),
  fc.nat(),
  // Mostly the bytes JSON's grammar turns on: quotes, escapes, control bytes, separators, digits.
  fc.oneof(fc.constantFrom(0x00, 0x09, 0x0a, 0x1f, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0xc3, 0xff, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x30, 0x2d, 0x2e, 0x65), fc.integer({ min: 0, max: 255 })),
), { freq: 2 });

function apply(text: string, change: ['insert' | 'delete' | 'replace', number, number] | null): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (!change) return bytes;
  const [kind, at, byte] = change;
  const i = bytes.length === 0 ? 0 : at % (bytes.length + (kind === 'insert' ? 1 : 0));
  if (kind === 'insert') return Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
  if (bytes.length === 0) return bytes;
  if (kind === 'delete') return Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
  const out = Buffer.from(bytes);
  out[i] = byte;
  return out;
}

/**
 * Runs of bodies of one shape (the same top-level keys, in the same order, with the same
 * whitespace around them) and different values, sometimes bent or broken by an edit: what the
 * scanner reads by comparing a body with the shape of the last one.
 */
const shapedBodies: fc.Arbitrary<Buffer[]> = fc.tuple(
  fc.array(fc.tuple(fc.oneof(fc.constantFrom('host', 'bytes', 'd', 'ok', 'tags', 'a'), fc.constantFrom(...KEYS)), SPACE, SPACE), { minLength: 1, maxLength: 6 }),
  fc.array(fc.tuple(fc.array(json.value, { minLength: 6, maxLength: 6 }), edit), { minLength: 2, maxLength: 8 }),
).map(([members, rows]) => rows.map(([values, change]) => apply(`{${members.map(([k, s1, s2], i) => `${s1}${JSON.stringify(k)}${s2}:${s1}${values[i]}${s2}`).join(',')}}`, change)));

describe('sql stage row reader: the byte scanner reads bodies as JSON.parse does', () => {
  it('reads a flat record, with whitespace around every token', () => {
    const reader = new RowReader(columnsOf({ host: 'varchar', bytes: 'integer', ok: 'boolean' }));
    const values: unknown[] = [];
    expect(reader.readInto({ headers: {}, body: Buffer.from(' {\n\t"host" : "web-01" ,"bytes":\r\n12 , "ok":true}\n') }, values)).to.equal(undefined);
    expect(values).to.deep.equal(['web-01', 12, true]);
  });

  for (const [name, body] of [
    ['duplicate keys (the last wins, a nested one whole)', '{"host":"a","host":"b","a":{"b":"x","c":{"d":1}},"a":{"c":{"d":2}}}'],
    ['a path through a number, a string and an array', '{"a":5,"host":"abc","tags":["t0","t1"]}'],
    ['escapes in keys and values', '{"h\\u006fst":"a\\"b\\\\c\\u00e9\\ud83d\\ude00","bytes":"7"}'],
    ['bytes beyond ASCII, valid and not', Buffer.concat([Buffer.from('{"host":"h\xc3\xa9'), Buffer.from([0xff, 0xc3]), Buffer.from('","a":"\xe2\x82"}')])],
    ['a raw control byte in a string', '{"host":"a\tb","bytes":1}'],
    ['a trailing comma', '{"host":"a","bytes":1,}'],
    ['trailing text after the object', '{"host":"a","bytes":1} x'],
    ['a byte-order mark', '\ufeff{"host":"a","bytes":1}'],
    ['not an object', '["host","a"]'],
    ['an empty body', ''],
    ['numbers at the edges', '{"bytes":-0,"d":1e400,"big":9007199254740993,"ts":"2024-01-02T03:04:05Z"}'],
    ['leading zeros', '{"bytes":012}'],
    ['prototype names that are missing, and present', '{"host":"a","__proto__":"p"}'],
    ['objects and arrays read as varchar', '{"host":{"z":[1,{"y":null}],"z":2},"tags":[1,"2",[3]],"a":{}}'],
    ['nesting deeper than the scanner goes', `{"host":"a","x":${'['.repeat(80)}${']'.repeat(80)}}`],
  ] as const) {
    it(`agrees on ${name}`, () => sameAsJsonParse(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), { h: 'hv' }));
  }

  it('agrees on long strings with a quote, an escape, a control byte or a byte beyond ASCII at every place (the SIMD code\'s runs and their ends)', () => {
    expect(SIMD, 'WebAssembly SIMD (Node has it)').to.not.equal(undefined);
    const specials: Buffer[] = [Buffer.from('"'), Buffer.from('\\"'), Buffer.from('\\u0041'), Buffer.from([0x0a]), Buffer.from([0x1f]), Buffer.from([0x7f]), Buffer.from('é'), Buffer.from([0xff]), Buffer.from('\\')];
    for (const special of specials) {
      for (let at = 0; at < 80; at++) {
        for (const tail of [0, 5, 17, 40]) {
          const text = Buffer.concat([Buffer.from('{"bytes":1,"host":"'), Buffer.from('y'.repeat(at)), special, Buffer.from('z'.repeat(tail)), Buffer.from('","a":"'), Buffer.from('w'.repeat(at % 23)), Buffer.from('"}')]);
          sameAsJsonParse(text);
        }
      }
    }
  });

  it('reads bodies that start anywhere in a shared buffer (as socket reads give them)', () => {
    const text = '{"host":"web-01","agent":"' + 'x'.repeat(70) + '","bytes":42}';
    const reader = new RowReader(columnsOf({ host: 'varchar', bytes: 'integer' }));
    for (let offset = 0; offset < 8; offset++) {
      const body = Buffer.concat([Buffer.alloc(offset, 0x20), Buffer.from(text)]).subarray(offset);
      const values: unknown[] = [];
      expect(reader.readInto({ headers: {}, body }, values)).to.equal(undefined);
      expect(values).to.deep.equal(['web-01', 42]);
    }
  });

  it('@fuzz bodies (valid, bent and broken JSON): the scanner gives what JSON.parse gives', async () => {
    await fuzzTarget('sql-row-reader', [jsonText, edit, fc.option(fc.string({ maxLength: 4 }))], (text, change, header) => {
      sameAsJsonParse(apply(text, change), header === null ? {} : { h: header });
    }, { regressions: REGRESSIONS });
  });

  it('@fuzz runs of bodies of one shape: reading a body by its shape gives what JSON.parse gives', async () => {
    await fuzzTarget('sql-row-reader-shapes', [shapedBodies], (bodies) => {
      // Fresh readers: the first body's shape is the one the others are compared with.
      const readers = [STRICT, FLAT].map((columns) => ({ plain: new RowReader(columns), simd: new RowReader(columns, SIMD) }));
      for (const body of bodies) sameAsJsonParse(body, { h: 'hv' }, readers);
    }, { regressions: REGRESSIONS });
  });
});
