import os from 'node:os';
import { expect } from 'chai';
import {
  createComponentContext, createEvent, hostInterceptor, regexExtractorInterceptor, regexFilterInterceptor, removeHeaderInterceptor,
  searchReplaceInterceptor, staticInterceptor, timestampInterceptor, TimestampInterceptor, uuidInterceptor,
  type AnyComponentDefinition, type Interceptor, type MetricGroup, type SluiceEvent,
} from '../src/index.js';

function make(definition: AnyComponentDefinition, config: Record<string, unknown>): { interceptor: Interceptor; metrics: MetricGroup } {
  const ctx = createComponentContext({ name: 'i1', kind: 'INTERCEPTOR' });
  return { interceptor: definition.create(config, ctx) as Interceptor, metrics: ctx.metrics };
}

const bodies = (events: SluiceEvent[]): string[] => events.map((e) => e.body.toString());

describe('timestamp interceptor', () => {
  it('sets the timestamp header to epoch milliseconds on every event of the batch', () => {
    const interceptor = new TimestampInterceptor({ headerName: 'timestamp', preserveExisting: false }, () => 1700000000123);
    const out = interceptor.intercept([createEvent('a'), createEvent('b', { timestamp: '5' })]);
    expect(out.map((e) => e.headers.timestamp)).to.deep.equal(['1700000000123', '1700000000123']);
  });

  it('uses headerName and keeps an existing value with preserveExisting', () => {
    const { interceptor } = make(timestampInterceptor, { headerName: 'ts', preserveExisting: true });
    const before = Date.now();
    const out = interceptor.intercept([createEvent('a'), createEvent('b', { ts: '5' })]);
    expect(Number(out[0]!.headers.ts)).to.be.at.least(before);
    expect(out[1]!.headers.ts).to.equal('5');
  });
});

describe('host interceptor', () => {
  it('sets the host name when useIP is false', () => {
    const { interceptor } = make(hostInterceptor, { hostHeader: 'host', useIP: false, preserveExisting: false });
    expect(interceptor.intercept([createEvent('a', { host: 'old' })])[0]!.headers.host).to.equal(os.hostname());
  });

  it('sets an IPv4 address in hostHeader when useIP is true and honours preserveExisting', () => {
    const { interceptor } = make(hostInterceptor, { hostHeader: 'ip', useIP: true, preserveExisting: true });
    const out = interceptor.intercept([createEvent('a'), createEvent('b', { ip: 'kept' })]);
    expect(out[0]!.headers.ip).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    expect(out[1]!.headers.ip).to.equal('kept');
  });
});

describe('static interceptor', () => {
  it('adds key=value and by default keeps an existing value (preserveExisting true)', () => {
    const { interceptor } = make(staticInterceptor, { key: 'dc', value: 'eu1', preserveExisting: true });
    const out = interceptor.intercept([createEvent('a'), createEvent('b', { dc: 'us' })]);
    expect(out.map((e) => e.headers.dc)).to.deep.equal(['eu1', 'us']);
  });

  it('overwrites with preserveExisting false', () => {
    const { interceptor } = make(staticInterceptor, { key: 'dc', value: 'eu1', preserveExisting: false });
    expect(interceptor.intercept([createEvent('b', { dc: 'us' })])[0]!.headers.dc).to.equal('eu1');
  });
});

describe('remove_header interceptor', () => {
  const headers = (): Record<string, string> => ({ a: '1', b: '2', c: '3', 'x-1': '4', 'x-2': '5', keep: '6' });

  it('removes withName, every name of fromList, and names matching the whole regex', () => {
    const { interceptor } = make(removeHeaderInterceptor, { withName: 'a', fromList: 'b , c', fromListSeparator: '\\s*,\\s*', matching: 'x-\\d' });
    expect(interceptor.intercept([createEvent('e', headers())])[0]!.headers).to.deep.equal({ keep: '6' });
  });

  it('uses fromListSeparator and requires matching to match the whole name', () => {
    const { interceptor } = make(removeHeaderInterceptor, { withName: '', fromList: 'a|b', fromListSeparator: '\\|', matching: 'x' });
    expect(interceptor.intercept([createEvent('e', headers())])[0]!.headers).to.deep.equal({ c: '3', 'x-1': '4', 'x-2': '5', keep: '6' });
  });

  it('rejects a bad regex at creation with SLUICE_CONFIG_INVALID', () => {
    expect(() => make(removeHeaderInterceptor, { withName: '', fromList: '', fromListSeparator: ',', matching: '(' })).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });
});

describe('uuid interceptor', () => {
  it('gives each event its own UUID with prefix, keeping existing ids by default', () => {
    const { interceptor } = make(uuidInterceptor, { headerName: 'id', preserveExisting: true, prefix: 'p-' });
    const out = interceptor.intercept([createEvent('a'), createEvent('b'), createEvent('c', { id: 'mine' })]);
    expect(out[0]!.headers.id).to.match(/^p-[0-9a-f-]{36}$/);
    expect(out[1]!.headers.id).to.not.equal(out[0]!.headers.id);
    expect(out[2]!.headers.id).to.equal('mine');
  });

  it('replaces existing ids with preserveExisting false', () => {
    const { interceptor } = make(uuidInterceptor, { headerName: 'uid', preserveExisting: false, prefix: '' });
    expect(interceptor.intercept([createEvent('c', { uid: 'mine' })])[0]!.headers.uid).to.match(/^[0-9a-f-]{36}$/);
  });
});

describe('regex_filter interceptor', () => {
  const batch = (): SluiceEvent[] => ['ERROR disk', 'INFO ok', 'ERROR net', 'DEBUG x'].map((b) => createEvent(b));

  it('keeps only events whose body contains a match (excludeEvents false) and counts the dropped ones', () => {
    const { interceptor, metrics } = make(regexFilterInterceptor, { regex: '^ERROR', excludeEvents: false });
    expect(bodies(interceptor.intercept(batch()))).to.deep.equal(['ERROR disk', 'ERROR net']);
    expect(metrics.get('EventDroppedCount')).to.equal(2);
  });

  it('drops matching events with excludeEvents true', () => {
    const { interceptor } = make(regexFilterInterceptor, { regex: 'DEBUG|INFO', excludeEvents: true });
    expect(bodies(interceptor.intercept(batch()))).to.deep.equal(['ERROR disk', 'ERROR net']);
  });

  it('keeps everything with the default regex .*, returning the same batch', () => {
    const { interceptor, metrics } = make(regexFilterInterceptor, { regex: '.*', excludeEvents: false });
    const events = batch();
    expect(interceptor.intercept(events)).to.equal(events);
    expect(metrics.get('EventDroppedCount')).to.equal(0);
  });

  it('drops a leading event too (contains, not whole-body match)', () => {
    const { interceptor } = make(regexFilterInterceptor, { regex: 'ok|net', excludeEvents: false });
    expect(bodies(interceptor.intercept(batch()))).to.deep.equal(['INFO ok', 'ERROR net']);
  });
});

describe('regex_extractor interceptor', () => {
  it('copies capture groups into the headers named by serializers, in order', () => {
    const { interceptor } = make(regexExtractorInterceptor, { regex: '(\\d):(\\d):(\\d)', serializers: [{ name: 'one' }, { name: 'two' }, { name: 'three' }] });
    const out = interceptor.intercept([createEvent('at 1:2:3 here'), createEvent('no digits')]);
    expect(out[0]!.headers).to.deep.equal({ one: '1', two: '2', three: '3' });
    expect(out[1]!.headers).to.deep.equal({});
  });

  it('ignores groups beyond the serializers and groups that did not participate', () => {
    const { interceptor } = make(regexExtractorInterceptor, { regex: '(a)(x)?(c)', serializers: [{ name: 'first' }, { name: 'second' }] });
    expect(interceptor.intercept([createEvent('ac')])[0]!.headers).to.deep.equal({ first: 'a' });
  });

  it('turns a group into epoch millis with a millis serializer and its date pattern (local time, as Flume)', () => {
    const { interceptor } = make(regexExtractorInterceptor, {
      regex: '^(\\d\\d\\d\\d-\\d\\d-\\d\\d\\s\\d\\d:\\d\\d)',
      serializers: [{ name: 'timestamp', type: 'millis', pattern: 'yyyy-MM-dd HH:mm' }],
    });
    const out = interceptor.intercept([createEvent('2012-10-18 18:47:57,614 some log line'), createEvent('no date')]);
    expect(out[0]!.headers.timestamp).to.equal(String(new Date(2012, 9, 18, 18, 47).getTime()));
    expect(out[1]!.headers).to.deep.equal({});
  });

  it('rejects a millis serializer without pattern, or with an unsupported letter, with SLUICE_CONFIG_INVALID', () => {
    expect(() => make(regexExtractorInterceptor, { regex: '(x)', serializers: [{ name: 't', type: 'millis' }] })).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    expect(() => make(regexExtractorInterceptor, { regex: '(x)', serializers: [{ name: 't', type: 'millis', pattern: 'EEE yyyy' }] })).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });

  it('maps Flume serializers.<s>.name keys in fromFlume', () => {
    const config = regexExtractorInterceptor.fromFlume!({ regex: '(\\w+)', serializers: 's1 s2', 'serializers.s1.name': 'one', 'serializers.s2.name': 'two' });
    expect(config).to.deep.equal({ regex: '(\\w+)', serializers: [{ name: 'one' }, { name: 'two' }] });
  });

  it('maps Flume\'s millis serializer class and pattern in fromFlume', () => {
    const config = regexExtractorInterceptor.fromFlume!({
      regex: '(.*)', serializers: 's1', 'serializers.s1.name': 'ts', 'serializers.s1.type': 'org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer', 'serializers.s1.pattern': 'yyyy-MM-dd',
    });
    expect(config).to.deep.equal({ regex: '(.*)', serializers: [{ name: 'ts', type: 'millis', pattern: 'yyyy-MM-dd' }] });
  });
});

describe('search_replace interceptor', () => {
  it('replaces every match in the body, with $n group references', () => {
    const { interceptor } = make(searchReplaceInterceptor, { searchPattern: '(\\w+)@example\\.com', replaceString: '$1@***', charset: 'utf8' });
    expect(bodies(interceptor.intercept([createEvent('a@example.com, b@example.com'), createEvent('none')]))).to.deep.equal(['a@***, b@***', 'none']);
  });

  it('deletes matches with the default empty replaceString and decodes with charset', () => {
    const { interceptor } = make(searchReplaceInterceptor, { searchPattern: '\u00e9', replaceString: '', charset: 'latin1' });
    const out = interceptor.intercept([{ headers: {}, body: Buffer.from('caf\u00e9!', 'latin1') }]);
    expect(out[0]!.body.toString('latin1')).to.equal('caf!');
  });

  it('refuses a searchPattern that matches the empty string', () => {
    expect(searchReplaceInterceptor.check!({ searchPattern: 'a*', replaceString: '-', charset: 'utf8' }).map((p) => p.path)).to.deep.equal(['/searchPattern']);
    expect(searchReplaceInterceptor.check!({ searchPattern: '(?:(?:.{2,})+\\1)*', replaceString: '', charset: 'utf8' })).to.have.length(1);
    expect(searchReplaceInterceptor.check!({ searchPattern: 'a+', replaceString: '-', charset: 'utf8' })).to.deep.equal([]);
  });

  it('maps Flume charset names in fromFlume', () => {
    expect(searchReplaceInterceptor.fromFlume!({ searchPattern: 'x', charset: 'UTF-8' })).to.deep.equal({ searchPattern: 'x', charset: 'utf8' });
  });
});

describe('configured patterns that could stall the agent', () => {
  it('refuses a nested or doubled repeat only when the pattern needs the backtracking matcher', () => {
    // Runs on V8's linear engine once it backtracks too much: accepted, and fast on the classic input.
    expect(regexFilterInterceptor.check!({ regex: '(a+)+b', excludeEvents: false })).to.deep.equal([]);
    const { interceptor } = make(regexFilterInterceptor, { regex: '(a+)+b', excludeEvents: false });
    expect(interceptor.intercept([createEvent('a'.repeat(40))])).to.deep.equal([]);
    // A backreference or lookaround keeps it on the backtracking matcher: refused at validation.
    for (const regex of ['(a+)+\\1', '(?=x)\\w+\\s*\\w+!', '(\\w*)\\1b']) {
      expect(regexFilterInterceptor.check!({ regex, excludeEvents: false }).map((p) => p.path), regex).to.deep.equal(['/regex']);
    }
    expect(searchReplaceInterceptor.check!({ searchPattern: '(?<=a)(b+)*c', replaceString: '', charset: 'utf8' })[0]!.message).to.match(/repeats '\(b\+\)\*'/);
    // A repeated group whose content varies in length, by a small counted repeat or an alternation,
    // splits the text as many ways as (a+)+ does: 5 s on 32 characters before it was refused
    // (found by the regex-interceptors-bounded fuzz target; the linear engine cannot run it).
    for (const regex of ['((.{1,3})+\\s{2}|a?$){1,3}', '(?<=x)(a|aa)+$', '(?=a)(?:a{1,2})*b']) {
      expect(regexExtractorInterceptor.check!({ regex, serializers: [{ name: 'g' }] })[0]?.message, regex).to.match(/content can match texts of different lengths/);
    }
    // Fixed-length content repeated, or a varying group made optional: accepted.
    expect(regexFilterInterceptor.check!({ regex: '(?<=id=)(\\d{3}-)+x', excludeEvents: false })).to.deep.equal([]);
    expect(regexFilterInterceptor.check!({ regex: '(?<=id=)(\\d{1,3})?x', excludeEvents: false })).to.deep.equal([]);
    // One repeat beside a lookaround is at worst quadratic: accepted.
    expect(regexExtractorInterceptor.check!({ regex: '^(?!DEBUG)(\\w+)', serializers: [{ name: 'level' }] })).to.deep.equal([]);
  });

  it('refuses repeats nested three deep whatever the engine, since a global replace of them is slow even in linear time', () => {
    const problems = searchReplaceInterceptor.check!({ searchPattern: 'a(?:(?:.{2,})+\\1)*', replaceString: '', charset: 'utf8' });
    expect(problems.map((p) => p.path)).to.deep.equal(['/searchPattern']);
    expect(problems[0]!.message).to.match(/nests repeats 3 deep/);
    expect(regexFilterInterceptor.check!({ regex: '((a+)+b)*', excludeEvents: false }).map((p) => p.path)).to.deep.equal(['/regex']);
    // Two levels stay accepted (Flume configs use them), e.g. dotted numbers.
    expect(searchReplaceInterceptor.check!({ searchPattern: '(\\d+\\.)+\\d+', replaceString: 'N', charset: 'utf8' })).to.deep.equal([]);
  });

  it('sets a header named __proto__ or constructor as an ordinary header', () => {
    const { interceptor } = make(staticInterceptor, { key: '__proto__', value: 'v', preserveExisting: true });
    const [event] = interceptor.intercept([createEvent('a')]);
    expect(Object.keys(event!.headers)).to.deep.equal(['__proto__']);
    const { interceptor: ctor } = make(staticInterceptor, { key: 'constructor', value: 'c', preserveExisting: true });
    expect(ctor.intercept([createEvent('a')])[0]!.headers.constructor).to.equal('c');
  });
});
