import { expect } from 'chai';
import { ConfigError, parseTopology, validateTopology } from '../src/index.js';
import { builtins } from './lookup.js';

const validate = (yaml: string) => validateTopology(parseTopology(yaml, 'topology.yaml', { env: {} }), builtins);
const paths = (yaml: string): string[] => validate(yaml).problems.map((p) => p.path);

/** Topologies found by fuzzing that validated but could not start, or crashed the loader. */
describe('validateTopology on hostile topologies: every mistake is a problem with a path', () => {
  it('treats components named after Object prototype properties as names', () => {
    const { problems, model } = validate(`
agents:
  a:
    sources: { hasOwnProperty: { type: seq, channels: [constructor] } }
    channels: { constructor: { type: memory } }
    sinks: { toString: { type: 'null', channel: constructor }, other: { type: 'null', channel: valueOf } }
`);
    expect(problems.map((p) => p.path)).to.deep.equal(['/agents/a/sinks/other/channel']);
    expect(model).to.equal(undefined);
    expect(paths(`
agents:
  a:
    sources: { s: { type: seq, channels: [c] } }
    channels: { c: { type: memory } }
    sinks: { k: { type: 'null', channel: c } }
    sinkGroups: { g: { sinks: [k, __proto__], processor: { type: failover } } }
`)).to.deep.equal(['/agents/a/sinkGroups/g/sinks/1']);
  });

  it('reports a directory or dataDir given as a mapping or list instead of crashing while claiming it', () => {
    expect(paths(`
agents:
  a:
    sources: { s: { type: seq, channels: [c] } }
    channels: { c: { type: memory } }
    sinks: { k: { type: file_roll, channel: c, directory: { path: /tmp } }, j: { type: file_roll, channel: c, directory: [/tmp] } }
`)).to.deep.equal(['/agents/a/sinks/k/directory', '/agents/a/sinks/j/directory']);
  });

  it('refuses the default sink processor for a group of several sinks (Flume refuses it too)', () => {
    expect(paths(`
agents:
  a:
    sources: { s: { type: seq, channels: [c] } }
    channels: { c: { type: memory } }
    sinks: { k1: { type: 'null', channel: c }, k2: { type: 'null', channel: c } }
    sinkGroups: { g: { sinks: [k1, k2], processor: { type: default } } }
`)).to.deep.equal(['/agents/a/sinkGroups/g/processor/type']);
  });

  it('turns an unresolved alias and an alias bomb into problems (expansion stops at 1000 aliases)', () => {
    for (const yaml of ['agents: *nope\n', [
      'a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', 'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]', 'agents: *f', '',
    ].join('\n')]) {
      let error: unknown;
      try { parseTopology(yaml, 'bomb.yaml', { env: {} }); } catch (e) { error = e; }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).problems[0]!.message).to.match(/alias/i);
    }
  });
});
