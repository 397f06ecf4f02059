import { expect } from 'chai';
import { bucketTemplateError, defineComponent } from '@sluice/core';
import { ConfigError, parseTopology, validateTopology, type ComponentLookup } from '../src/index.js';
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

describe('validateTopology with a component check()', () => {
  /** A sink whose `path` is a bucket template; its check records every config it is given. */
  const checked: Record<string, unknown>[] = [];
  const templated = defineComponent<'sink', { path: string; depth: number }>({
    kind: 'sink', type: 'templated', description: 'test sink', guarantee: 'test only',
    schema: {
      type: 'object', additionalProperties: false, required: ['path', 'depth'],
      properties: {
        path: { type: 'string', description: 'a bucket template' },
        depth: { type: 'integer', minimum: 1, default: 3, description: 'a number the schema checks' },
      },
    },
    check(config) {
      checked.push(config);
      const message = bucketTemplateError(config.path);
      return message === undefined ? [] : [{ path: '/path', message, hint: 'escape a literal percent sign as %%' }];
    },
    create: () => { throw new Error('not started in these tests'); },
  });
  const throwing = defineComponent<'sink', Record<string, never>>({
    kind: 'sink', type: 'throwing', description: 'test sink', guarantee: 'test only',
    schema: { type: 'object', additionalProperties: false, properties: {}, required: [] },
    check() { throw new Error('boom'); },
    create: () => { throw new Error('not started in these tests'); },
  });
  const extra = [templated, throwing] as const;
  const lookup: ComponentLookup = {
    find: (kind, type) => extra.find((c) => c.kind === kind && c.type === type) ?? builtins.find(kind, type),
    types: (kind) => [...builtins.types(kind), ...extra.filter((c) => c.kind === kind).map((c) => c.type)],
  };
  beforeEach(() => { checked.length = 0; });

  it('reports what check() finds under the component path, together with schema and graph problems', () => {
    const { model, problems } = validateTopology(parseTopology(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1, c9] } }
    channels: { c1: { type: memory, capacty: 10 } }
    sinks:
      k1: { type: templated, channel: c1, path: "/logs/%Q" }
      k2: { type: templated, channel: c1, path: "/logs/%Y/%{host}" }
`, 'topology.yaml'), lookup);
    expect(model).to.equal(undefined);
    expect(problems.map((p) => p.path)).to.have.members(['/agents/a1/sources/r1/channels/1', '/agents/a1/channels/c1/capacty', '/agents/a1/sinks/k1/path']);
    expect(problems).to.deep.include({ path: '/agents/a1/sinks/k1/path', message: "bucket template '/logs/%Q': unknown escape %Q; use %{header}, %[localhost|IP|FQDN], %% or a date escape such as %Y %m %d %H %M %S", hint: 'escape a literal percent sign as %%' });
    expect(checked, 'check() sees the config with its defaults applied').to.deep.include({ path: '/logs/%Y/%{host}', depth: 3 });
  });

  it('does not call check() on a config its schema rejected', () => {
    const { problems } = validateTopology(parseTopology(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: templated, channel: c1, path: "/logs/%Q", depth: 0 } }
`, 'topology.yaml'), lookup);
    expect(problems.map((p) => p.path)).to.deep.equal(['/agents/a1/sinks/k1/depth']);
    expect(checked).to.deep.equal([]);
  });

  it('reports a check() that throws as a problem of that component and keeps reporting the others', () => {
    const { problems } = validateTopology(parseTopology(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks:
      k1: { type: throwing, channel: c1 }
      k2: { type: templated, channel: c1, path: "/logs/%{host" }
`, 'topology.yaml'), lookup);
    expect(problems.map((p) => p.path)).to.have.members(['/agents/a1/sinks/k1', '/agents/a1/sinks/k2/path']);
    expect(problems.find((p) => p.path === '/agents/a1/sinks/k1')!.message).to.equal("sink type 'throwing' failed to check its config: boom");
  });

  it('names the .properties key of a check() problem in a Flume file', () => {
    const { problems } = validateTopology(parseTopology([
      'a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1',
      'a1.sources.r1.type = seq', 'a1.sources.r1.channels = c1', 'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = templated', 'a1.sinks.k1.channel = c1', 'a1.sinks.k1.path = /logs/%[host]',
    ].join('\n'), 'flume.properties'), lookup);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ path: '/agents/a1/sinks/k1/path', key: 'a1.sinks.k1.path' });
    expect(problems[0]!.message).to.contain('unknown host escape %[host]');
  });
});
