import { expect } from 'chai';
import { BucketTemplate, bucketTemplateError, SluiceError, type BucketTemplateOptions, type SluiceEvent } from '@sluice/core';
import { fc, fuzzTarget, onlySluiceErrors } from '@sluice/testkit';
import { HOSTILE_STRINGS, REGRESSIONS } from './config-fuzz-support.js';

const NAMES = ['timestamp', 'host', 'constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'a', ''];
const template = fc.array(fc.oneof(
  fc.constantFrom('%', '%%', '%{', '}', '%[', ']', 'localhost', 'IP', 'FQDN', '/', 'x', '-', '.', ...'YymndeHkIMSpjaAbBcDzstqQ'.split('').map((c) => `%${c}`)),
  fc.constantFrom(...NAMES).map((n) => `%{${n}}`),
), { maxLength: 12 }).map((parts) => parts.join(''));
const timestamp = fc.oneof(
  fc.constantFrom('8640000000000000', '-8640000000000000', '8640000000000001', '-8639999999999999', '1e400', 'NaN', '', ' ', '0x10', '1.5', '-0', '99999999999999999999'),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map(String),
  fc.double().map(String),
);
const headers = fc.record({ timestamp, other: fc.dictionary(fc.constantFrom(...NAMES), fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 10 })), { maxKeys: 4 }) })
  .map(({ timestamp: ts, other }) => {
    // A plain object, as events' headers are: %{constructor} must not find Object's.
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(other)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    out.timestamp = ts;
    return out;
  });
const options: fc.Arbitrary<BucketTemplateOptions> = fc.record({
  round: fc.boolean(),
  roundValue: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(1e6, 1e9, 1e15, 1e300)),
  roundUnit: fc.constantFrom('second', 'minute', 'hour', 'day'),
  useLocalTimeStamp: fc.boolean(),
  timeZone: fc.constantFrom('utc', 'local'),
}, { requiredKeys: [] });
const now = fc.oneof(fc.integer({ min: 0, max: 4e12 }), fc.constantFrom(8.64e15, -8.64e15));

/** Words a rendering may hold only when the template or a header put them there. */
const TELLTALES = ['NaN', 'undefined', 'Infinity', '[native code]', 'function', '[object'];

/**
 * Bucket templates (`%{header}`, `%Y`-style escapes, `%[host]`) with random headers and
 * rounding: compiling refuses a bad template only with SLUICE_CONFIG_INVALID (the same text
 * bucketTemplateError gives), rendering refuses an event only with the non-retriable
 * SLUICE_EVENT_REJECTED (a timestamp out of the Date range, before or after rounding), and a
 * rendering never shows NaN, undefined or an Object.prototype member.
 */
describe('bucket templates @fuzz', () => {
  it('compile, render and refuse only with SluiceErrors, never rendering NaN or a prototype function', async () => {
    await fuzzTarget('bucket-template', [template, headers, options, now], (text, eventHeaders, opts, clock) => {
      const compiled = onlySluiceErrors(() => new BucketTemplate(text, opts));
      const error = bucketTemplateError(text);
      if (compiled instanceof SluiceError) {
        expect(compiled.code).to.equal('SLUICE_CONFIG_INVALID');
        if (error === undefined) expect(compiled.message).to.match(/round/);
        return;
      }
      expect(error).to.equal(undefined);
      const event: SluiceEvent = { headers: eventHeaders, body: Buffer.alloc(0) };
      const out = onlySluiceErrors(() => compiled.render(event, clock));
      if (out instanceof SluiceError) {
        expect(out.code).to.equal('SLUICE_EVENT_REJECTED');
        expect(out.retriable).to.equal(false);
        return;
      }
      expect(out).to.be.a('string');
      // Rendered again with the timestamp alone, so header values (which may spell NaN) add nothing and
      // %{constructor} must find no header at all.
      const bare = compiled.render({ headers: { timestamp: eventHeaders.timestamp! }, body: Buffer.alloc(0) }, clock);
      // (%{timestamp} renders the header itself, whatever it spells.)
      const written = text.includes('%{timestamp}') ? `${text} ${eventHeaders.timestamp}` : text;
      for (const word of TELLTALES) if (bare.includes(word) && !written.includes(word)) throw new Error(`rendered '${bare}' shows ${word}`);
    }, { regressions: REGRESSIONS });
  });
});
