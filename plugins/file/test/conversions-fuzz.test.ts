import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createEvent, isHeaderMap, MetricGroup, type SluiceEvent } from '@sluice/core';
import { fc, fuzzTarget, onlySluiceErrors } from '@sluice/testkit';
import { CsvToJsonInterceptor, LogToJsonInterceptor, SingleLineInterceptor, type LogToJsonConfig } from '../src/index.js';
import { LOG_FORMATS } from '../src/log-formats.js';
import { joinLines } from '../src/single-line-interceptor.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REGRESSIONS = path.resolve(HERE, '../../test/fixtures/fuzz');
const REAL_LOGS = path.resolve(HERE, '../../../../test/fixtures/real-logs');

/** Every line of the real-log corpus (CRLF kept), the seeds of the mutations. */
const SEEDS = readdirSync(REAL_LOGS).filter((f) => f.endsWith('.log'))
  .flatMap((f) => readFileSync(path.join(REAL_LOGS, f), 'latin1').split('\n')).filter((l) => l.length > 0);

// Text that sits next to the parts of log lines the patterns look at, and runs that make a
// backtracking pattern work hard.
const PIECES = [' ', '  ', '\t', '-', '"', '[', ']', ':', '.', '/', '\\', ',', '\r', '\n', '\r\n', 'a', '9', '0', '<13>', 'é', '\u0000', 'pid', 'client', 'Jan', 'GET', '::1', '2026-12-02T07:00:00Z'];

/** One edit of a line: insert, delete, replace, repeat a stretch many times, or insert a long run of one piece. */
const edit = fc.tuple(fc.constantFrom('insert', 'delete', 'repeat', 'swap', 'run'), fc.nat(), fc.nat({ max: 40 }), fc.constantFrom(...PIECES), fc.integer({ min: 2, max: 12000 }));
type Edit = [string, number, number, string, number];

function mutate(line: string, edits: Edit[]): string {
  let out = line;
  for (const [kind, at, length, piece, times] of edits) {
    const i = out.length === 0 ? 0 : at % (out.length + 1);
    if (kind === 'insert') out = out.slice(0, i) + piece + out.slice(i);
    else if (kind === 'delete') out = out.slice(0, i) + out.slice(i + length);
    else if (kind === 'swap') out = out.slice(0, i) + piece + out.slice(i + 1);
    else if (kind === 'run') out = out.slice(0, i) + piece.repeat(times) + out.slice(i);
    else out = out.slice(0, i) + (out.slice(i, i + Math.max(1, length % 8)) || piece).repeat(times) + out.slice(i);
    if (out.length > 20000) out = out.slice(0, 20000);
  }
  return out;
}

/** A real log line with a few edits, or text made of log-line pieces. */
const logLine = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.nat({ max: SEEDS.length - 1 }), fc.array(edit as fc.Arbitrary<Edit>, { maxLength: 4 })).map(([i, edits]) => mutate(SEEDS[i]!, edits)) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);

/** Names that trip a header or JSON record built on an ordinary object. */
const FIELD_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a', 'b', '', 'valueOf'];

function expectJsonObject(event: SluiceEvent, keys: readonly string[]): void {
  const parsed = JSON.parse(event.body.toString('utf8')) as Record<string, unknown>;
  // JSON.parse keeps "__proto__" as an own key, so every field name must be there.
  expect(Object.keys(parsed)).to.deep.equal([...new Set(keys)]);
  for (const key of keys) expect(parsed[key] === null || typeof parsed[key] === 'string', key).to.equal(true);
}

function expectPrototypeFree(events: SluiceEvent[]): void {
  for (const event of events) expect(isHeaderMap(event.headers)).to.equal(true);
}

describe('file conversions @fuzz', () => {
  it('@fuzz log_to_json reads random and mutated real log lines in every format without throwing', async () => {
    const formats = Object.keys(LOG_FORMATS) as LogToJsonConfig['logFormat'][];
    const interceptors = formats.flatMap((logFormat) => (['keep', 'deadLetter'] as const).map((onMismatch) => ({
      fields: LOG_FORMATS[logFormat]!.fields,
      tagged: onMismatch === 'deadLetter',
      interceptor: new LogToJsonInterceptor({ logFormat, matchPattern: '', customFieldNames: [], onMismatch, mismatchHeader: '__proto__' }, new MetricGroup('INTERCEPTOR', 'i')),
    })));
    await fuzzTarget('log-to-json', [logLine, fc.nat({ max: interceptors.length - 1 })], (line, which) => {
      const { interceptor, fields, tagged } = interceptors[which]!;
      const body = Buffer.from(line, 'latin1');
      const out = onlySluiceErrors(() => interceptor.intercept([createEvent(body)]));
      if (!Array.isArray(out)) return;
      expect(out).to.have.length(1);
      expectPrototypeFree(out);
      const event = out[0]!;
      if (event.body === body) expect(Object.keys(event.headers)).to.deep.equal(tagged ? ['__proto__'] : []);
      else expectJsonObject(event, fields);
    }, { regressions: REGRESSIONS });
  });

  it('@fuzz single_line joins random and mutated lines in linear time, as its documented pattern would', async () => {
    const pattern = /[ \t]*\r?\n[ \t]*/g;
    await fuzzTarget('single-line', [logLine, fc.constantFrom('', ' ', '\\n', '$&')], (line, separator) => {
      const out = onlySluiceErrors(() => new SingleLineInterceptor({ separator }).intercept([createEvent(line)]));
      if (!Array.isArray(out)) return;
      expect(out).to.have.length(1);
      expectPrototypeFree(out);
      const text = line.trim();
      // The pattern (taken as the spec; too slow to run on the long inputs) with a literal separator.
      if (text.length < 2000) expect(joinLines(text, separator)).to.equal(text.replace(pattern, () => separator));
      const joined = joinLines(text, separator);
      expect(out[0]!.body.toString('utf8')).to.equal(joined === line ? line : joined);
    }, { regressions: REGRESSIONS });
  });

  it('@fuzz csv_to_json turns random and mutated lines into JSON with every field name, __proto__ included', async () => {
    await fuzzTarget('csv-to-json', [
      logLine,
      fc.array(fc.constantFrom(...FIELD_NAMES), { minLength: 1, maxLength: 5 }),
      fc.constantFrom(',', ' ', '\t', '||', '"', ' ,'),
      fc.boolean(),
    ], (line, names, delimiter, trim) => {
      const out = onlySluiceErrors(() => new CsvToJsonInterceptor({ customFieldNames: names, delimiter, trim }).intercept([createEvent(line)]));
      if (!Array.isArray(out)) return;
      expect(out).to.have.length(1);
      expectPrototypeFree(out);
      expectJsonObject(out[0]!, names);
    }, { regressions: REGRESSIONS });
  });
});
