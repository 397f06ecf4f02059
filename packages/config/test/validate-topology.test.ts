import { expect } from 'chai';
import { ConfigError, parseTopology, validateTopology } from '../src/index.js';
import { builtins } from './lookup.js';

const validate = (yaml: string, env: NodeJS.ProcessEnv = {}) => validateTopology(parseTopology(yaml, 'topology.yaml', { env }), builtins);

describe('validateTopology (YAML)', () => {
  it('accepts a valid topology and fills every default', () => {
    const { model, problems } = validate(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: 'null', channel: c1 } }
`);
    expect(problems).to.deep.equal([]);
    expect(model!.agents.a1!.channels.c1!.config).to.deep.equal({ capacity: 100000, transactionCapacity: 10000, byteCapacity: '512MiB', keepAlive: '3s' });
    expect(model!.agents.a1!.sources.r1!.selector.type).to.equal('replicating');
    expect(Object.isFrozen(model!.agents.a1!.channels.c1!.config)).to.equal(true);
  });

  it('reports three different mistakes at once, each with its JSON pointer', () => {
    const { model, problems } = validate(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c2] } }
    channels: { c1: { type: memory, keepAlive: soon } }
    sinks: { k1: { type: file_roll, channel: c1, directory: /tmp/x, rollSize: 12 parsecs } }
`);
    expect(model).to.equal(undefined);
    expect(problems.map((p) => p.path)).to.have.members([
      '/agents/a1/sources/r1/channels/0',
      '/agents/a1/channels/c1/keepAlive',
      '/agents/a1/sinks/k1/rollSize',
    ]);
    expect(problems.find((p) => p.path.endsWith('rollSize'))!.message).to.equal('must be a size like 128MiB');
    expect(problems.find((p) => p.path.endsWith('channels/0'))!.hint).to.equal("did you mean 'c1'?");
  });

  it('names unknown types and options with a suggestion', () => {
    const { problems } = validate(`
agents:
  a1:
    sources: { r1: { type: netcta, port: 1, channels: [c1] } }
    channels: { c1: { type: memory, capacty: 10 } }
    sinks: { k1: { type: 'null', channel: c1 } }
`);
    expect(problems).to.deep.include({ path: '/agents/a1/sources/r1/type', message: "unknown source type 'netcta'", hint: "did you mean 'netcat'?" });
    expect(problems).to.deep.include({ path: '/agents/a1/channels/c1/capacty', message: "is not an option of channel type 'memory'", hint: "did you mean 'capacity'?" });
  });

  it('checks the graph: sink without channel, unconnected channel, two sources on one port, batch larger than transactionCapacity', () => {
    const { problems } = validate(`
agents:
  a1:
    sources:
      n1: { type: netcat, port: 5555, channels: [c1] }
      n2: { type: netcat, port: 5555, channels: [c1] }
    channels:
      c1: { type: memory, transactionCapacity: 10 }
      spare: { type: memory }
    sinks:
      k1: { type: 'null', channel: c1, batchSize: 100 }
      k2: { type: 'null' }
`);
    const paths = problems.map((p) => p.path);
    expect(paths).to.include('/agents/a1/sinks/k2/channel');
    expect(paths).to.include('/agents/a1/channels/spare');
    expect(paths).to.include('/agents/a1/sources/n2/port');
    expect(paths).to.include('/agents/a1/sinks/k1/batchSize');
  });

  it('substitutes ${VAR} and ${VAR:-default}, typing a whole-value number, and reports unset variables by path', () => {
    const ok = validate(`
agents:
  a1:
    sources: { r1: { type: netcat, port: "\${PORT}", bind: "\${BIND:-0.0.0.0}", channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: 'null', channel: c1 } }
`, { PORT: '7777' });
    expect(ok.model!.agents.a1!.sources.r1!.config).to.include({ port: 7777, bind: '0.0.0.0' });
    expect(validate(`
agents:
  a1:
    sinks: { k1: { type: file_roll, channel: c1, directory: "\${OUT}" } }
`).problems).to.deep.include({ path: '/agents/a1/sinks/k1/directory', message: 'environment variable OUT is not set', hint: 'export OUT=... before starting, or write ${OUT:-default}' });
  });

  it('reports YAML syntax errors and duplicate keys with line numbers', () => {
    expect(() => parseTopology('agents:\n  a1:\n    channels: {c1: {type: memory}}\n    channels: {}\n', 'x.yaml')).to.throw(ConfigError).with.property('message').that.matches(/line 4/);
  });

  it('never replaces a bad value with a default', () => {
    const { problems } = validate(`
agents:
  a1:
    sources: { r1: { type: seq, batchSize: -5, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: 'null', channel: c1 } }
`);
    expect(problems.map((p) => p.path)).to.deep.equal(['/agents/a1/sources/r1/batchSize']);
  });
});
