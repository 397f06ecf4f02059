import { expect } from 'chai';
import { fc, fuzzTarget } from '@sluice/testkit';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonArrayItemSpans } from '../src/json-array-items.js';

const REGRESSIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/fuzz');

/** Parses like JSON.parse would, but item by item through the spans; throws on what JSON.parse refuses. */
function parseBySpans(text: string): unknown[] {
  return [...jsonArrayItemSpans(text)].map(({ start, end }) => JSON.parse(text.slice(start, end)) as unknown);
}

function outcome(parse: () => unknown): { ok: unknown } | { error: true } {
  try {
    return { ok: parse() };
  } catch {
    return { error: true };
  }
}

describe('jsonArrayItemSpans', () => {
  it('splits an array into its items, strings and nesting included', () => {
    const text = ' [ {"body":"a,]\\"}"}, [1,[2]] ,"x" , 3 ,null]\n';
    expect(parseBySpans(text)).to.deep.equal(JSON.parse(text));
    expect(parseBySpans('[]')).to.deep.equal([]);
    expect(parseBySpans(' [ \n ] ')).to.deep.equal([]);
  });

  it('refuses what is not an array of items', () => {
    for (const bad of ['', '{}', '[', '[1,', '[1,]', '[,1]', '[1 2]', '[1]x', '["abc', '[1,,2]', '[1]]']) {
      expect(() => parseBySpans(bad), bad).to.throw(SyntaxError);
    }
  });

  it('agrees with JSON.parse on random arrays and on their mutations @fuzz', async () => {
    const mutated = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', ']', '[', '"', '\\', ' ', '}', '{')).map(([json, at, insert]) => {
      const text = `[${json}]`;
      const cut = at % (text.length + 1);
      return text.slice(0, cut) + insert + text.slice(cut);
    });
    await fuzzTarget('json-array-item-spans', [fc.oneof(fc.tuple(fc.array(fc.jsonValue()), fc.nat(2)).map(([v, indent]) => JSON.stringify(v, null, indent)), mutated)], (text: string) => {
      const whole = outcome(() => JSON.parse(text) as unknown);
      const spans = outcome(() => parseBySpans(text));
      const isArray = 'ok' in whole && Array.isArray(whole.ok);
      if (isArray) expect(spans).to.deep.equal(whole);
      else expect(spans, `${JSON.stringify(text)} is no JSON array, so the spans must refuse it`).to.deep.equal({ error: true });
    }, { regressions: REGRESSIONS });
  });
});
