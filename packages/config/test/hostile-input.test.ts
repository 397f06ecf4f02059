import { expect } from 'chai';
import {
  closest, ConfigError, MAX_EXPANDED_VALUES, MAX_SUBSTITUTION_NESTING, MAX_YAML_DEPTH, parseTopology, readJavaProperties, substituteEnv, substituteFlumeValue,
  validateTopology, type Problem,
} from '../src/index.js';
import { builtins } from './lookup.js';

const validate = (yaml: string, env: NodeJS.ProcessEnv = {}) => validateTopology(parseTopology(yaml, 'topology.yaml', { env }), builtins);
const flume = (text: string, env: NodeJS.ProcessEnv = {}) => validateTopology(parseTopology(text, 'flume.properties', { env }), builtins);
const AGENT = (channel: string) => `
agents:
  a:
    sources: { s: { type: seq, channels: [c] } }
    channels: { c: { type: memory${channel} } }
    sinks: { k: { type: 'null', channel: c } }
`;

/** Inputs the configuration fuzz targets (test/fuzz) found or were written to find. */
describe('configuration on hostile input: problems with paths, never a crash', () => {
  it('reports a duration or size too large to hold (400 digits, 30d, 9 PiB) at its path instead of reading Infinity', () => {
    for (const [option, path] of [
      [`, keepAlive: ${'9'.repeat(400)}s`, '/agents/a/channels/c/keepAlive'],
      [', keepAlive: 30d', '/agents/a/channels/c/keepAlive'],
      [', keepAlive: 3000000', '/agents/a/channels/c/keepAlive'], // a bare number of seconds
      [', byteCapacity: 9000000TiB', '/agents/a/channels/c/byteCapacity'],
      [`, byteCapacity: "${'9'.repeat(30)}"`, '/agents/a/channels/c/byteCapacity'],
    ] as const) {
      const { problems } = validate(AGENT(option));
      expect(problems.map((p) => p.path), option).to.deep.equal([path]);
      expect(problems[0]!.message).to.match(/too (long|large)/);
      expect(problems[0]!.hint).to.match(/like/);
    }
    expect(validate(AGENT(', keepAlive: 24d')).problems).to.deep.equal([]);
    expect(validate(AGENT('').replace('agents:\n  a:\n', `agents:\n  a:\n    drainTimeout: ${'9'.repeat(400)}s\n`)).problems.map((p) => p.path)).to.deep.equal(['/agents/a/drainTimeout']);
  });

  it('${constructor} and other Object.prototype names are unset variables, in YAML and in Flume files', () => {
    const problems: Problem[] = [];
    expect(substituteEnv({ a: '${constructor}', b: '${env:toString}x' }, {}, problems)).to.deep.equal({ a: '${constructor}', b: '${env:toString}x' });
    expect(problems.map((p) => p.message)).to.deep.equal(['environment variable constructor is not set', 'environment variable toString is not set']);
    expect(substituteFlumeValue('${constructor}-${env:valueOf}', new Map(), {}, () => undefined)).to.equal('${constructor}-${env:valueOf}');
  });

  it('substitutes nested defaults, keeps what is no variable, and refuses nesting deeper than 16 as a problem at the value', () => {
    const problems: Problem[] = [];
    expect(substituteEnv({ a: '${A:-${B:-x}}', f: '${A:-${Z:-x}}', b: '${A:-${B}}-y', c: '${header.id} ${A:-x}y}', d: '$${A}', e: `${'9'.repeat(400)}` }, { B: 'b' }, problems))
      .to.deep.equal({ a: 'b', f: 'x', b: 'b-y', c: '${header.id} xy}', d: '${A}', e: '9'.repeat(400) });
    expect(substituteEnv('${N}', { N: '9'.repeat(400) }, problems)).to.equal('9'.repeat(400)); // text, not Infinity
    expect(problems).to.deep.equal([]);
    const deep = `${'${Z:-'.repeat(5000)}x${'}'.repeat(5000)}`;
    expect(substituteEnv({ v: deep }, {}, problems)).to.deep.equal({ v: deep });
    expect(problems.map((p) => p.path)).to.deep.equal(['/v']);
    expect(problems[0]!.message).to.match(/more than 16 levels/);
    let nested: unknown = { v: '${A}' };
    for (let i = 0; i < 20000; i++) nested = [nested];
    const found: Problem[] = [];
    substituteEnv(nested, {}, found);
    expect(found[0]!.path).to.equal(`${'/0'.repeat(20000)}/v`);
  });

  it('Flume ${...} nested thousands deep is one error on its key, not a stack overflow', () => {
    const deep = `${'${'.repeat(20000)}a${'}'.repeat(20000)}`;
    const found: string[] = [];
    expect(substituteFlumeValue(deep, new Map(), {}, (message) => found.push(message))).to.equal(deep);
    expect(found).to.deep.equal([`nests \${...} more than ${MAX_SUBSTITUTION_NESTING} levels deep; the value is kept as written`]);
    const { problems } = flume(`a1.sources = r1\na1.sources.r1.type = ${deep}\n`);
    expect(problems.some((p) => p.key === 'a1.sources.r1.type' && /levels deep/.test(p.message))).to.equal(true);
  });

  it('Flume keys that reference each other twice over are substituted once per depth (references stop ten deep), each unset one reported once per value', () => {
    let text = 'x0 = ${x0}${x0}\n';
    for (let i = 1; i < 300; i++) text += `x${i} = \${x${i - 1}}\${x${i - 1}}\n`;
    const started = performance.now();
    const { problems } = flume(`${text}a1.sources = r1\na1.sources.r1.type = \${x299}\n`);
    // 2^300 paths to x0: substituting each key once per depth makes it milliseconds.
    expect(performance.now() - started).to.be.below(2000);
    const perKey = new Map<string, string[]>();
    for (const p of problems) perKey.set(p.key ?? '', [...(perKey.get(p.key ?? '') ?? []), p.message]);
    for (const messages of perKey.values()) expect(new Set(messages).size).to.equal(messages.length);
    // x299 -> x298 ... -> x290, ten references deep, whose x289s are no longer followed.
    expect(perKey.get('a1.sources.r1.type')).to.deep.include('${x289} is neither a key of this file nor a set environment variable');
  });

  it('stops at the file\'s substitution budget: more ${...} in one file than MAX_SUBSTITUTIONS', () => {
    const lines = Array.from({ length: 600 }, (_, i) => `v${i} = ${'${E}'.repeat(200)}`);
    const { problems } = flume(`${lines.join('\n')}\na1.sources = r1\na1.sources.r1.type = seq\n`, { E: 'e' });
    expect(problems.some((p) => /substitutions; the value is kept as written/.test(p.message))).to.equal(true);
  });

  it('reads a line continued ten thousand times and a key defined ten thousand times', () => {
    const { entries } = readJavaProperties(`k = ${'x\\\n'.repeat(10000)}end\n${'d = 1\n'.repeat(10000)}`);
    expect(entries[0]!.value).to.equal(`${'x'.repeat(10000)}end`);
    expect(readJavaProperties('d = 1\n'.repeat(10000)).duplicates[0]!.lines).to.have.length(10000);
  });

  it('refuses YAML nested deeper than 100 levels with one problem, before composing it', () => {
    for (const yaml of [`agents: ${'['.repeat(1000)}${']'.repeat(1000)}`, `agents: ${'{a: '.repeat(1000)}1${'}'.repeat(1000)}`]) {
      let error: unknown;
      try { parseTopology(yaml, 'deep.yaml', { env: {} }); } catch (e) { error = e; }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.message)).to.deep.equal([`YAML collections are nested more than ${MAX_YAML_DEPTH} levels deep`]);
    }
    expect(() => parseTopology(`agents: ${'['.repeat(90)}${']'.repeat(90)}`, 'ok.yaml', { env: {} })).not.to.throw();
  });

  it('refuses a list or mapping used as a key, which YAML would turn into text with a process warning', () => {
    let error: unknown;
    try { parseTopology('agents:\n  { a: 1 }: x\n  ? [b]\n  : y\n', 'keys.yaml', { env: {} }); } catch (e) { error = e; }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.message)).to.deep.equal([
      'line 2, column 3: a mapping key must be a name, not a list or mapping', 'line 3, column 5: a mapping key must be a name, not a list or mapping',
    ]);
  });

  it('refuses aliases that expand a small file into millions of values, which the yaml alias count lets through', () => {
    const yaml = `x: &a [${Array.from({ length: 1000 }, (_, i) => i).join(',')}]\nagents:\n${Array.from({ length: 300 }, () => '  - *a').join('\n')}\n`;
    let error: unknown;
    try { parseTopology(yaml, 'aliases.yaml', { env: {} }); } catch (e) { error = e; }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.message)).to.deep.equal([`YAML aliases expand the document to more than ${MAX_EXPANDED_VALUES} values`]);
  });

  it('reports a mapping (even one with a toString key) or a boolean where monitoring\'s port and host or a deadLetter\'s after are expected, instead of throwing', () => {
    // Found by the yaml-topology-values fuzz target: Number() of { toString: toString } throws a TypeError.
    const yaml = `monitoring:\n  http:\n    port: { toString: toString }\n    host: { toString: x }\n${AGENT('').replace("sinks: { k: { type: 'null', channel: c } }", "sinks: { k: { type: 'null', channel: c, deadLetter: { channel: d, after: { valueOf: 1 } } }, k2: { type: 'null', channel: d, deadLetter: { channel: c, after: true } } }").replace('channels: { c: { type: memory } }', 'channels: { c: { type: memory }, d: { type: memory } }')}`;
    const paths = validate(yaml).problems.map((p) => p.path);
    expect(paths).to.include.members(['/monitoring/http/port', '/monitoring/http/host', '/agents/a/sinks/k/deadLetter/after', '/agents/a/sinks/k2/deadLetter/after']);
  });

  it('refuses an alias inside the collection it refers to (data that contains itself) at the alias\'s path, instead of walking it until memory runs out', () => {
    // Found by the yaml-topology-text fuzz target: an edit joined a line of an anchored channel with the next `queue: *queue`.
    const cases: [string, string, string][] = [
      ['agents:\n  a:\n    channels:\n      q: &q\n        type: memory\n        again: *q\n', '/agents/a/channels/q/again', 'line 6, column 16'],
      ['x: &a [ 1, { y: [ *a ] } ]\n', '/x/1/y/0', 'line 1, column 19'],
      ['x: &a { <<: *a }\n', '/x/<<', 'line 1, column 13'],
      // The alias stands for the latest &a before it: here the collection it is inside of, not the list before it.
      ['x: &a [1]\ny: &a { z: *a }\n', '/y/z', 'line 2, column 12'],
    ];
    for (const [yaml, path, at] of cases) {
      let error: unknown;
      try { parseTopology(yaml, 'cycle.yaml', { env: {} }); } catch (e) { error = e; }
      expect(error, yaml).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => [p.path, p.message]), yaml).to.deep.equal([[path, `${at}: the alias *${path === '/agents/a/channels/q/again' ? 'q' : 'a'} is inside the collection anchored &${path === '/agents/a/channels/q/again' ? 'q' : 'a'}, which would contain itself`]]);
    }
    // An alias to an earlier collection, or to a sibling, is no cycle.
    expect(parseTopology('x: &a [1]\ny: { z: *a, w: &b { v: 1 }, u: *b }\n', 'ok.yaml', { env: {} }).data).to.deep.equal({ x: [1], y: { z: [1], w: { v: 1 }, u: { v: 1 } } });
  });

  it('reports thousands of dangling references each with a path, suggesting names only while the suggestion budget lasts', () => {
    let yaml = 'agents:\n  a:\n    channels:\n';
    for (let i = 0; i < 600; i++) yaml += `      c${i}: { type: memory }\n`;
    yaml += '    sinks:\n';
    for (let i = 0; i < 600; i++) yaml += `      k${i}: { type: "null", channel: x${i} }\n`;
    const { problems } = validate(yaml);
    const dangling = problems.filter((p) => /^\/agents\/a\/sinks\/k\d+\/channel$/.test(p.path));
    expect(dangling).to.have.length(600);
    expect(dangling[0]!.hint).to.equal("did you mean 'c0'?");
    // Past the budget a hint lists some names, never all 600.
    expect(dangling.at(-1)!.hint).to.match(/^channels defined: c0, c1, .* and 580 more$/);
  });

  it('does not say "did you mean" for names longer than 64 characters', () => {
    expect(closest('x'.repeat(65), ['x'.repeat(65)])).to.equal(undefined);
    expect(closest('memroy', ['memory', 'file'])).to.equal('memory');
  });
});

describe('batch sizes against channel capacity', () => {
  it('refuses a batch larger than the whole channel, which would wait keepAlive and fail for ever (found by the validates-then-starts fuzz target)', () => {
    const { problems } = validate(`
agents:
  a:
    sources: { s: { type: seq, channels: [c] } }
    channels: { c: { type: memory, capacity: 100 } }
    sinks: { k: { type: 'null', channel: c, batchSize: 100 } }
`);
    expect(problems.map((p) => [p.path, p.message])).to.deep.equal([['/agents/a/sources/s/batchSize', "batchSize 1000 is larger than channel 'c' capacity 100: no batch could ever fit"]]);
  });
});
