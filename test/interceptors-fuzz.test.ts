import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  ChannelProcessor, createComponentContext, createEvent, hostInterceptor, isHeaderMap, regexExtractorInterceptor, regexFilterInterceptor,
  runsInLinearTime, searchReplaceInterceptor, SluiceError, staticInterceptor, timestampInterceptor, uuidInterceptor,
  type AnyComponentDefinition, type Interceptor, type Problem, type SluiceEvent,
} from '@sluice/core';
import { fc, fuzzTarget, onlySluiceErrors } from '@sluice/testkit';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REGRESSIONS = path.resolve(HERE, '../fixtures/fuzz');

/** Runs `interceptors` the way a source's deliver does and returns the events the selector saw. */
const SOURCE = createComponentContext({ name: 'r1', kind: 'SOURCE' });
const INTERCEPTOR = createComponentContext({ name: 'i1', kind: 'INTERCEPTOR' });

async function throughProcessor(interceptors: Interceptor[], events: SluiceEvent[]): Promise<SluiceEvent[]> {
  const ctx = SOURCE;
  let seen: SluiceEvent[] = [];
  const processor = new ChannelProcessor({
    source: 'r1', interceptors, metrics: ctx.metrics, telemetry: ctx.telemetry, logger: ctx.logger,
    selector: { route: (batch) => { seen = batch; return { required: [], optional: [] }; } },
  });
  await processor.deliver(events);
  return seen;
}

function create(definition: AnyComponentDefinition, config: Record<string, unknown>): Interceptor | Problem[] {
  const problems = definition.check?.(config as never) ?? [];
  if (problems.length > 0) return problems;
  return definition.create(config as never, INTERCEPTOR) as Interceptor;
}

// Names an ordinary object gives a meaning of its own, and ordinary ones.
const headerName = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'),
  fc.string({ minLength: 1, maxLength: 6 }),
);

describe('interceptors @fuzz', () => {
  it('@fuzz static, timestamp, uuid, host and regex_extractor set any header name, __proto__ included, as an own key', async () => {
    await fuzzTarget('interceptor-header-names', [
      headerName,
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constantFrom('static', 'timestamp', 'uuid', 'host', 'regex_extractor'),
      fc.boolean(),
    ], async (name, value, preserveExisting, type, plainHeaders) => {
      const interceptor = {
        static: () => create(staticInterceptor, { key: name, value, preserveExisting }),
        timestamp: () => create(timestampInterceptor, { headerName: name, preserveExisting }),
        uuid: () => create(uuidInterceptor, { headerName: name, preserveExisting, prefix: '' }),
        host: () => create(hostInterceptor, { hostHeader: name, useIP: true, preserveExisting }),
        regex_extractor: () => create(regexExtractorInterceptor, { regex: '([^]*)', serializers: [{ name }] }),
      }[type]();
      expect(interceptor, 'the config is valid').not.to.be.an('array');
      // Events from a source that built its headers as ordinary objects, and from one using createHeaders.
      const before = plainHeaders ? { other: 'x' } : createEvent('', { other: 'x' }).headers;
      const [event] = await throughProcessor([interceptor as Interceptor], [{ headers: before, body: Buffer.from(value) }]);
      const headers = event!.headers;
      expect(isHeaderMap(headers)).to.equal(true);
      expect(Object.getPrototypeOf(headers)).not.to.equal(Object.prototype);
      expect(Object.hasOwn(headers, name), `header ${name} is set`).to.equal(true);
      const set = headers[name]!;
      expect(set).to.be.a('string');
      if (type === 'static') expect(set).to.equal(name === 'other' && preserveExisting ? 'x' : value);
      if (type === 'regex_extractor') expect(set).to.equal(value);
      expect(Object.keys(headers).sort()).to.deep.equal([...new Set(['other', name])].sort());
    }, { regressions: REGRESSIONS });
  });

  // Patterns from a small grammar that reaches nested repeats, alternations that overlap,
  // backreferences and lookarounds: the shapes of catastrophic backtracking.
  const { pattern } = fc.letrec<{ pattern: string; seq: string; atom: string }>((tie) => ({
    pattern: fc.array(tie('seq'), { minLength: 1, maxLength: 2 }).map((alts) => alts.join('|')),
    seq: fc.array(fc.tuple(tie('atom'), fc.constantFrom('', '*', '+', '+', '?', '{2}', '{1,3}', '{2,}', '*?', '{1,40}')).map(([a, q]) => a + q), { minLength: 1, maxLength: 3 }).map((a) => a.join('')),
    atom: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: fc.constantFrom('a', 'a', 'a', 'b', '.', '\\w', '\\s', '[ab]', '\\1', '^', '$', '\\b') },
      { weight: 2, arbitrary: tie('pattern').map((p) => `(${p})`) },
      { weight: 2, arbitrary: tie('pattern').map((p) => `(?:${p})`) },
      { weight: 1, arbitrary: tie('pattern').map((p) => `(?=${p})`) },
      { weight: 1, arbitrary: tie('pattern').map((p) => `(?!${p})`) },
      { weight: 1, arbitrary: tie('pattern').map((p) => `(?<=${p})`) },
    ),
  }));
  // Mostly long runs of one letter with a tail that makes a match fail late.
  const subject = fc.oneof(
    fc.tuple(fc.constantFrom('a', 'ab', ' a', 'aa b'), fc.nat({ max: 400 }), fc.constantFrom('', '!', 'b', 'c\n')).map(([run, n, tail]) => run.repeat(n) + tail),
    fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '!'), maxLength: 40 }),
  );

  it('@fuzz a regex_filter, regex_extractor or search_replace pattern that passes its check never stalls on an event', async () => {
    await fuzzTarget('regex-interceptors-bounded', [pattern, subject, fc.constantFrom('regex_filter', 'regex_extractor', 'search_replace')], (regex, text, type) => {
      const interceptor = {
        regex_filter: () => create(regexFilterInterceptor, { regex, excludeEvents: false }),
        regex_extractor: () => create(regexExtractorInterceptor, { regex, serializers: [{ name: 'g1' }] }),
        search_replace: () => create(searchReplaceInterceptor, { searchPattern: regex, replaceString: '<$1>', charset: 'utf8' }),
      }[type];
      const made = onlySluiceErrors(interceptor);
      if (made instanceof SluiceError || Array.isArray(made)) return; // refused at validation: never runs
      const out = onlySluiceErrors(() => made.intercept([createEvent(text)]));
      if (Array.isArray(out)) expect(out.length).to.be.at.most(1);
    // A stall is what this guards against (minutes on one event before the fix); V8's linear
    // engine, which takes over runaway matches, needs up to tens of ms on these few-KB subjects,
    // within the usual 100 ms call limit.
    }, { regressions: REGRESSIONS });
  });

  /**
   * Whether a group that can match nothing is repeated or optional (`(a*?)?`): the linear engine
   * lets such an iteration match the empty string, which the language forbids (so `(a*?)?` on `a`
   * matches `` there and `a` on the backtracking engine). A documented difference, left out here.
   */
  function quantifiedEmptyGroup(source: string): boolean {
    const opens: number[] = [];
    for (let i = 0; i < source.length; i++) {
      if (source[i] === '\\') { i++; continue; }
      if (source[i] === '(') opens.push(i);
      if (source[i] !== ')' || opens.length === 0) continue;
      const open = opens.pop()!;
      if (!/^[*?{+]/.test(source.slice(i + 1))) continue;
      // A backreference may match nothing (its group did not take part), and an assertion may hold
      // in context but not on its own (\b, ^, $, lookarounds): take them away before the test.
      const inner = source.slice(open + 1, i).replace(/^\?(?:[:=!]|<[=!]|<\w+>)/, '').replace(/\\[1-9]/g, '')
        .replace(/\\[bB]|[$^]|\(\?<?[=!]/g, (m) => (m.startsWith('(') ? '(?:|' : ''));
      try {
        if (new RegExp(`^(?:${inner})$`).test('')) return true;
      } catch {
        return true;
      }
    }
    return false;
  }

  it('@fuzz V8\'s linear-time fallback finds the same matches as the backtracking engine', async () => {
    await fuzzTarget('regex-linear-fallback-agrees', [pattern, fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n'), maxLength: 12 })], (source, text) => {
      if (!runsInLinearTime(source, '') || quantifiedEmptyGroup(source)) return;
      const linear = new RegExp(source, 'gl');
      const backtracking = new RegExp(source, 'g');
      // One known difference: an optional group whose only iteration matched nothing is '' on the
      // linear engine and undefined (did not participate) on the backtracking one.
      const matches = (re: RegExp): unknown[] => [...text.matchAll(re)].map((m) => [m.index, ...m.map((g) => g ?? '')]);
      expect(matches(linear)).to.deep.equal(matches(backtracking));
    }, { regressions: REGRESSIONS });
  });
});
