import { expect } from 'chai';
import {
  createComponentContext, createEvent, hostInterceptor, regexExtractorInterceptor, regexFilterInterceptor, removeHeaderInterceptor,
  searchReplaceInterceptor, staticInterceptor, timestampInterceptor, type AnyComponentDefinition, type Interceptor, type SluiceEvent,
} from '../src/index.js';

// Vectors of Apache Flume's interceptor tests (flume-ng-core/src/test/java/org/apache/flume/
// interceptor/Test*Interceptor*.java and RemoveHeaderInterceptorTest.java, apache/flume@168caa6a),
// with the configs written as Sluice topologies write them (Flume's key names are the same).

function make(definition: AnyComponentDefinition, config: Record<string, unknown>): Interceptor {
  return definition.create(config, createComponentContext({ name: 'i1', kind: 'INTERCEPTOR' })) as Interceptor;
}
const one = (interceptor: Interceptor, event: SluiceEvent): SluiceEvent | undefined => interceptor.intercept([event])[0];

describe('Flume TestStaticInterceptor vectors', () => {
  const defaults = { key: 'key', value: 'value', preserveExisting: true };
  it('testDefaultKeyValue, testCustomKeyValue', () => {
    expect(one(make(staticInterceptor, defaults), createEvent('test'))!.headers.key).to.equal('value');
    expect(one(make(staticInterceptor, { ...defaults, key: 'myKey', value: 'myVal' }), createEvent('test'))!.headers.myKey).to.equal('myVal');
  });
  it('testReplace, testPreserve', () => {
    expect(one(make(staticInterceptor, { ...defaults, preserveExisting: false, value: 'replacement value' }), createEvent('test', { key: 'incumbent value' }))!.headers.key).to.equal('replacement value');
    expect(one(make(staticInterceptor, { ...defaults, preserveExisting: true, value: 'replacement value' }), createEvent('test', { key: 'incumbent value' }))!.headers.key).to.equal('incumbent value');
  });
});

describe('Flume TestTimestampInterceptor vectors', () => {
  const defaults = { headerName: 'timestamp', preserveExisting: false };
  it('testBasic, testPreserve, testClobber, testCustomHeader', () => {
    const now = Date.now();
    expect(Number(one(make(timestampInterceptor, defaults), createEvent('test event'))!.headers.timestamp)).to.be.at.least(now);
    expect(one(make(timestampInterceptor, { ...defaults, preserveExisting: true }), createEvent('test event', { timestamp: '1' }))!.headers.timestamp).to.equal('1');
    expect(Number(one(make(timestampInterceptor, defaults), createEvent('test event', { timestamp: '1' }))!.headers.timestamp)).to.be.at.least(now);
    const custom = one(make(timestampInterceptor, { ...defaults, headerName: 'timestampHeader' }), createEvent('test event', { timestamp: '1' }))!;
    expect(custom.headers.timestamp).to.equal('1');
    expect(Number(custom.headers.timestampHeader)).to.be.at.least(now);
  });
});

describe('Flume TestHostInterceptor vectors', () => {
  const defaults = { hostHeader: 'host', useIP: true, preserveExisting: false };
  it('testBasic, testCustomHeader, testPreserve, testClobber (values: see docs/flume-migration.md for useIP)', () => {
    expect(one(make(hostInterceptor, defaults), createEvent('test event'))!.headers.host).to.be.a('string').and.not.equal('');
    expect(one(make(hostInterceptor, { ...defaults, hostHeader: 'hostname' }), createEvent('test event'))!.headers.hostname).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    expect(one(make(hostInterceptor, { ...defaults, preserveExisting: true }), createEvent('test event', { host: 'originalhost' }))!.headers.host).to.equal('originalhost');
    expect(one(make(hostInterceptor, defaults), createEvent('test event', { host: 'originalhost' }))!.headers.host).to.not.equal('originalhost');
  });
});

describe('Flume TestRegexFilteringInterceptor vectors', () => {
  it('testDefaultBehavior: passes everything', () => {
    const event = createEvent('test');
    expect(make(regexFilterInterceptor, { regex: '.*', excludeEvents: false }).intercept([event])).to.deep.equal([event]);
  });
  it('testInclusion, testExclusion', () => {
    const include = make(regexFilterInterceptor, { regex: '(INFO.*)|(WARNING.*)', excludeEvents: false });
    expect(include.intercept(['INFO: some message', 'WARNING: some message', 'DEBUG: some message'].map((b) => createEvent(b))).map((e) => e.body.toString()))
      .to.deep.equal(['INFO: some message', 'WARNING: some message']);
    const exclude = make(regexFilterInterceptor, { regex: '.*DEBUG.*', excludeEvents: true });
    expect(exclude.intercept(['INFO: some message', 'WARNING: some message', 'this message has DEBUG in it'].map((b) => createEvent(b))).map((e) => e.body.toString()))
      .to.deep.equal(['INFO: some message', 'WARNING: some message']);
  });
});

describe('Flume TestSearchAndReplaceInterceptor vectors', () => {
  const replace = (searchPattern: string, replaceString: string, input: string): string =>
    one(make(searchReplaceInterceptor, { searchPattern, replaceString, charset: 'utf8' }), createEvent(input))!.body.toString();
  it('testRemovePrefix, testSyslogStripPriority, testCapturedGroups, testRepeatedRemoval, testReplaceEmpty', () => {
    expect(replace('^prefix', '', 'prefix non-prefix suffix')).to.equal(' non-prefix suffix');
    expect(replace('^<[0-9]+>', '', '<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!')).to.equal('Feb  5 17:32:18 10.0.0.99 Use the BFG!');
    expect(replace('The quick brown ([a-z]+) jumped over the lazy ([a-z]+).', 'The hungry $2 ate the careless $1.', 'The quick brown fox jumped over the lazy dog.')).to.equal('The hungry dog ate the careless fox.');
    expect(replace('[A-Za-z0-9_.]+@[A-Za-z0-9_-]+\\.com', 'REDACTED', 'Email addresses: test@test.com and foo@test.com')).to.equal('Email addresses: REDACTED and REDACTED');
    expect(replace('^[A-Za-z0-9_]+', '', 'Abc123@test.com')).to.equal('@test.com');
  });
});

describe('Flume TestRegexExtractorInterceptor vectors', () => {
  it('refuses a missing or illegal regex, no serializers, and empty names (Flume: IllegalArgumentException)', () => {
    const problems = (config: Record<string, unknown>): unknown[] => regexExtractorInterceptor.check!(config as never, {} as never) as unknown[];
    expect(problems({ regex: '?&?&&&?&?&?&&&??', serializers: [{ name: 'a' }] })).to.have.length(1);
    expect(problems({ regex: '.*', serializers: [] })).to.have.length(1);
    expect(regexExtractorInterceptor.fromFlume!({ regex: '(\\d):(\\d):(\\d)', serializers: '   ' })).to.deep.include({ serializers: [] });
    expect(() => make(regexExtractorInterceptor, { regex: '.*', serializers: [] })).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
  });

  it('shouldExtractAddHeadersForAllMatchGroups, ...IgnoringMissingIds', () => {
    const all = make(regexExtractorInterceptor, regexExtractorInterceptor.fromFlume!({
      regex: '(\\d):(\\d):(\\d)', serializers: 's1 s2 s3', 'serializers.s1.name': 'Num1', 'serializers.s2.name': 'Num2', 'serializers.s3.name': 'Num3',
    }) as Record<string, unknown>);
    const event = one(all, createEvent('1:2:3.4foobar5'))!;
    expect(event.headers).to.deep.equal({ Num1: '1', Num2: '2', Num3: '3' });
    expect(event.body.toString()).to.equal('1:2:3.4foobar5');
    const some = make(regexExtractorInterceptor, { regex: '^(\\d\\d\\d\\d-\\d\\d-\\d\\d\\s\\d\\d:\\d\\d)(:\\d\\d,\\d\\d\\d)', serializers: [{ name: 'timestamp' }] });
    expect(one(some, createEvent('2012-10-17 14:34:44,338'))!.headers).to.deep.equal({ timestamp: '2012-10-17 14:34' });
  });

  it('shouldExtractAddHeadersUsingSpecifiedSerializer (millis, Flume class name) and the pass-through serializer', () => {
    const now = new Date(Math.floor(Date.now() / 60000) * 60000);
    const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
    const body = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:00,000`;
    const interceptor = make(regexExtractorInterceptor, regexExtractorInterceptor.fromFlume!({
      regex: '^(\\d\\d\\d\\d-\\d\\d-\\d\\d\\s\\d\\d:\\d\\d)(:\\d\\d,\\d\\d\\d)', serializers: 's1 s2',
      'serializers.s1.type': 'org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer', 'serializers.s1.name': 'timestamp', 'serializers.s1.pattern': 'yyyy-MM-dd HH:mm',
      'serializers.s2.name': 'data', 'serializers.s2.type': 'org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer',
    }) as Record<string, unknown>);
    expect(one(interceptor, createEvent(body))!.headers).to.deep.equal({ timestamp: String(now.getTime()), data: ':00,000' });
  });
});

describe('Flume RemoveHeaderInterceptorTest vectors', () => {
  const names = ['my-header10', 'my-header11', 'my-header12', 'my-header20', 'my-header21'];
  const withHeaders = (): SluiceEvent => createEvent('My test event', Object.fromEntries(names.map((n) => [n, n])));
  const defaults = { withName: '', fromList: '', fromListSeparator: '\\s*,\\s*', matching: '' };
  const left = (config: Record<string, unknown>): string[] => Object.keys(one(make(removeHeaderInterceptor, { ...defaults, ...config }), withHeaders())!.headers).sort();
  it('testWithName, testFromList (default and custom separators), testMatchRegex, and no headers', () => {
    expect(left({ withName: 'my-header20' })).to.deep.equal(['my-header10', 'my-header11', 'my-header12', 'my-header21']);
    expect(left({ fromList: 'my-header20;my-header11' })).to.deep.equal(names);
    expect(left({ fromList: 'my-header20, my-header11' })).to.deep.equal(['my-header10', 'my-header12', 'my-header21']);
    expect(left({ fromList: 'my-header20;my-header11', fromListSeparator: ';' })).to.deep.equal(['my-header10', 'my-header12', 'my-header21']);
    expect(left({ fromList: 'my-header20, my-header11', fromListSeparator: ';' })).to.deep.equal(names);
    expect(left({ matching: 'my-header1.*' })).to.deep.equal(['my-header20', 'my-header21']);
    expect(one(make(removeHeaderInterceptor, { ...defaults, matching: 'my-header1.*' }), createEvent('x'))!.headers).to.deep.equal({});
  });
});
