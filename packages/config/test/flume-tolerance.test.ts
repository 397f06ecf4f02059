import { expect } from 'chai';
import { parseTopology, readJavaProperties, substituteFlumeValue, validateTopology, type Problem } from '../src/index.js';
import { builtins } from './lookup.js';

const BASE = `a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
`;

const validate = (text: string, options: { agent?: string; strict?: boolean } = {}, env: NodeJS.ProcessEnv = {}) => validateTopology(parseTopology(text, 'flume.properties', { env }), builtins, options);
const keys = (problems: readonly Problem[]): (string | undefined)[] => problems.map((p) => p.key);

describe('Java properties syntax, as java.util.Properties reads it', () => {
  it('reads key value, key:value and key=value, continuations with leading blanks dropped, escapes and CRLF', () => {
    const { entries } = readJavaProperties('a1.x value one\r\na1.y:two\r\n  a1.z = th\\\r\n      ree\r\na1.u = \\u0041\\tB\\\\C\r\nkey\\ with\\ space = v\r\n! comment\r\n# comment\r\n');
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).to.deep.equal({ 'a1.x': 'value one', 'a1.y': 'two', 'a1.z': 'three', 'a1.u': 'A\tB\\C', 'key with space': 'v' });
  });

  it('keeps the last of duplicate keys and reports every line, as a warning', () => {
    const { entries, duplicates } = readJavaProperties('a = 1\nb = 2\na = 3\n');
    expect(entries.find((e) => e.key === 'a')!.value).to.equal('3');
    expect(duplicates).to.deep.equal([{ key: 'a', lines: [1, 3] }]);
    const { model, warnings } = validate(`${BASE}a1.channels.c1.capacity = 50\na1.channels.c1.capacity = 60\n`);
    expect(model!.agents.a1!.channels.c1!.config.capacity).to.equal(60);
    expect(warnings[0]).to.include({ key: 'a1.channels.c1.capacity', severity: 'warning' });
    expect(warnings[0]!.message).to.contain('lines 9, 10');
  });

  it('refuses a malformed \\u escape, which makes Java refuse the whole file', () => {
    expect(validate(`${BASE}a1.sinks.k1.x = \\u00G1\n`).problems.map((p) => p.message)).to.satisfy((m: string[]) => m.some((s) => /malformed \\uXXXX/.test(s)));
  });

  it('trims whitespace around types and list items (a tab or trailing blank is invisible in an editor)', () => {
    const { problems, model } = validate(BASE.replace('a1.sources.r1.channels = c1', 'a1.sources.r1.channels =   c1  \t').replace('a1.sinks.k1.type = null', 'a1.sinks.k1.type = NULL  '));
    expect(problems).to.deep.equal([]);
    expect(model!.agents.a1!.sinks.k1!.type).to.equal('null');
  });

  it('explains a comma in a list: Flume reads "c1," as a name', () => {
    const { problems } = validate(BASE.replace('a1.channels = c1', 'a1.channels = c1, c2') + 'a1.channels.c2.type = memory\na1.sources.r1.channels = c1, c2\n');
    const comma = problems.filter((p) => /separates names with commas/.test(p.message));
    expect(keys(comma)).to.have.members(['a1.channels', 'a1.sources.r1.channels']);
    const list = comma.find((p) => p.key === 'a1.channels')!;
    expect(list.message).to.contain("Flume reads 'c1,' and 'c2'");
    expect(list.hint).to.equal('write a1.channels = c1 c2');
  });
});

describe('${...} in Flume values (MapResolver)', () => {
  const values = new Map([['PROD_BIND', '10.0.0.1']]);
  const run = (text: string, env: NodeJS.ProcessEnv = {}) => {
    const found: string[] = [];
    return { value: substituteFlumeValue(text, values, env, (message, _hint, severity) => found.push(`${severity ?? 'error'}: ${message}`)), found };
  };

  it('leaves what is not a lookup alone: ${header.id:int} is data', () => {
    expect(run('insert ${header.id:int} and ${body}x', { body: 'B' })).to.deep.equal({ value: 'insert ${header.id:int} and Bx', found: [] });
    expect(run('${a.b.c}').value).to.equal('${a.b.c}');
  });

  it('reads ${env:X} and ${X} from the environment, ${X} first from the file, and $${ as a literal', () => {
    expect(run('${env:PORT}-${PORT}-${PROD_BIND}-$${PORT}', { PORT: '44' }).value).to.equal('44-44-10.0.0.1-${PORT}');
  });

  it('reports an unset variable as an error and a Java lookup as a warning, keeping both as written', () => {
    const { value, found } = run('${env:NOPE}/${sys:user.home}');
    expect(value).to.equal('${env:NOPE}/${sys:user.home}');
    expect(found).to.deep.equal(['error: environment variable NOPE is not set', 'warning: ${sys:user.home} is a Java sys lookup; Sluice runs without a JVM and keeps it as written']);
  });

  it('resolves nested variables from the inside (${${ENV}_BIND})', () => {
    expect(run('${${STAGE}_BIND}', { STAGE: 'PROD' }).value).to.equal('10.0.0.1');
  });

  it('never substitutes in comments', () => {
    expect(validate(`# export \${UNSET_IN_COMMENT}\n${BASE}`).problems).to.deep.equal([]);
  });
});

describe("Flume's tolerance, made visible", () => {
  it('warns about an unknown key with "did you mean" for a typo, drops it, and loads', () => {
    const { problems, warnings, model } = validate(`${BASE}a1.channels.c1.transactionCapactiy = 50\n`);
    expect(problems).to.deep.equal([]);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ key: 'a1.channels.c1.transactionCapactiy', severity: 'warning' });
    expect(warnings[0]!.hint).to.equal("did you mean 'transactionCapacity'?");
    expect(model!.agents.a1!.channels.c1!.config.transactionCapacity).to.equal(100);
  });

  it('answers a mistyped Flume key in Flume\'s spelling', () => {
    const raw = parseTopology(`${BASE}a1.sources.r1.totalEvnets = 5\n`, 'flume.properties');
    const { warnings } = validateTopology(raw, builtins);
    expect(warnings[0]!.hint).to.equal("did you mean 'totalEvents'?");
  });

  it('warns about keys of the Java runners, stray lines and non-agent keys', () => {
    const { problems, warnings } = validate(`this line is not a key of anything\n${BASE}a1.sources.r1.runner.type = polling\na1.sources.r1.backoffSleepIncrement = 50\na1.sinks.k1.runner.type = x\na1.foo = bar\n`);
    expect(problems).to.deep.equal([]);
    expect(keys(warnings)).to.have.members(['this', 'a1.sources.r1.runner.type', 'a1.sources.r1.backoffSleepIncrement', 'a1.sinks.k1.runner.type', 'a1.foo']);
  });

  it('turns every warning into an error with strict', () => {
    const { problems, warnings, model } = validate(`${BASE}a1.channels.c1.transactionCapactiy = 50\n`, { strict: true });
    expect(model).to.equal(undefined);
    expect(warnings).to.deep.equal([]);
    expect(problems[0]).to.include({ key: 'a1.channels.c1.transactionCapactiy', severity: 'error' });
  });

  it('keeps YAML strict: an unknown key is an error', () => {
    const raw = parseTopology('agents: { a1: { sources: { r1: { type: seq, channels: [c1] } }, channels: { c1: { type: memory, transactionCapactiy: 5 } }, sinks: { k1: { type: null, channel: c1 } } } }', 'x.yaml');
    const { problems, warnings } = validateTopology(raw, builtins);
    expect(warnings).to.deep.equal([]);
    expect(problems[0]!.hint).to.equal("did you mean 'transactionCapacity'?");
  });

  it('applies Flume defaults where they differ: a memory channel holds 100 events, seq puts one per transaction', () => {
    const { model } = validate(BASE);
    expect(model!.agents.a1!.channels.c1!.config).to.include({ capacity: 100, transactionCapacity: 100 });
    expect(model!.agents.a1!.sources.r1!.config.batchSize).to.equal(1);
    expect(model!.agents.a1!.sinks.k1!.config.batchSize).to.equal(100);
  });

  it('names a Java class as a JVM plugin, in its original spelling', () => {
    const { problems } = validate(BASE.replace('a1.sources.r1.type = seq', 'a1.sources.r1.type = com.acme.flume.MySource'));
    expect(problems[0]).to.include({ key: 'a1.sources.r1.type', message: 'com.acme.flume.MySource is a Flume plugin written in Java; Sluice cannot load JVM classes', hint: 'port it as an npm plugin (`sluice new plugin`) or remove it' });
  });

  it('resolves every Flume built-in given by its class name', () => {
    const text = BASE.replace('a1.sources.r1.type = seq', 'a1.sources.r1.type = org.apache.flume.source.SequenceGeneratorSource')
      .replace('a1.channels.c1.type = memory', 'a1.channels.c1.type = org.apache.flume.channel.MemoryChannel')
      .replace('a1.sinks.k1.type = null', 'a1.sinks.k1.type = org.apache.flume.sink.NullSink')
      + 'a1.sources.r1.interceptors = i1 i2 i3\na1.sources.r1.interceptors.i1.type = org.apache.flume.interceptor.RegexFilteringInterceptor$Builder\n'
      + 'a1.sources.r1.interceptors.i2.type = org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder\na1.sources.r1.interceptors.i3.type = TIMESTAMP\n'
      + 'a1.sources.r1.selector.type = org.apache.flume.channel.ReplicatingChannelSelector\n';
    const { problems, model } = validate(text);
    expect(problems).to.deep.equal([]);
    expect(model!.agents.a1!.sources.r1!.interceptors.map((i) => i.type)).to.deep.equal(['regex_filter', 'uuid', 'timestamp']);
  });
});

describe('per-agent loading', () => {
  const MULTI = `${BASE}a2.sources = r1\na2.channels = c1\na2.sources.r1.type = nope\na2.sources.r1.channels = c1\na2.channels.c1.type = memory\na2.channels.c1.typo = 1\na3.sinks = k9\n`;

  it('with -n checks only that agent and names the agents it skipped', () => {
    const { problems, warnings, skippedAgents, model } = validate(MULTI, { agent: 'a1' });
    expect(problems).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
    expect(skippedAgents).to.deep.equal(['a2', 'a3']);
    expect(Object.keys(model!.agents)).to.deep.equal(['a1']);
  });

  it('with -n naming no agent of the file reports only that', () => {
    const { problems, skippedAgents } = validate(MULTI, { agent: 'a9' });
    expect(problems.map((p) => p.message)).to.deep.equal(["no agent named 'a9'"]);
    expect(skippedAgents).to.deep.equal([]);
  });

  it('without -n checks every agent; each problem carries its agent in the path', () => {
    const { problems, warnings } = validate(MULTI);
    expect(problems.map((p) => p.path.split('/')[2])).to.include.members(['a2', 'a3']).and.not.include('a1');
    expect(keys(warnings)).to.deep.equal(['a2.channels.c1.typo']);
  });
});
