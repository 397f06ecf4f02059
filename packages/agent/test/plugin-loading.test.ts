import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, parseTopology } from '@sluice/config';
import { loadTopology } from '../src/index.js';

/** Writes a local plugin package whose sink type is `type`, declaring the given core range. */
function writePlugin(root: string, name: string, core: string, type: string, schemaExtra = ''): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.js', keywords: ['sluice-plugin'] }));
  writeFileSync(path.join(dir, 'index.js'), `
export default {
  name: ${JSON.stringify(name)},
  core: ${JSON.stringify(core)},
  components: [{
    kind: 'sink', type: ${JSON.stringify(type)}, description: 'test sink', guarantee: 'none',
    schema: { type: 'object', additionalProperties: false, properties: { level: { type: 'integer', minimum: 1, default: 1, description: 'a level' } ${schemaExtra} }, required: ['level'] },
    create(config, ctx) { return { name: ctx.name, start: async () => {}, stop: async () => {}, process: async () => 'backoff' }; },
  }],
};
`);
  return `./${name}`;
}

function topology(root: string, plugins: string[], sinkType: string, extra = ''): string {
  const file = path.join(root, 'topology.yaml');
  writeFileSync(file, `plugins: ${JSON.stringify(plugins)}
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: ${sinkType}, channel: c1 ${extra} } }
`);
  return file;
}

async function problemsOf(file: string): Promise<string[]> {
  const { readTopology } = await import('@sluice/config');
  try {
    await loadTopology(await readTopology(file));
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('plugin loading', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sluice-plugins-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('loads a local plugin by path and validates its component config with defaults', async () => {
    const spec = writePlugin(root, 'acme-sink', '^0.1.0', 'acme');
    const { model } = await loadTopology(parseTopology(`plugins: ["${spec}"]\nagents:\n  a1:\n    sources: { r1: { type: seq, channels: [c1] } }\n    channels: { c1: { type: memory } }\n    sinks: { k1: { type: acme, channel: c1 } }\n`, path.join(root, 't.yaml')));
    expect(model.agents.a1!.sinks.k1!.config).to.deep.equal({ level: 1 });
  });

  it('refuses a plugin built for an incompatible core, naming the plugin and both versions', async () => {
    const spec = writePlugin(root, 'old-plugin', '^9.0.0', 'acme');
    const problems = await problemsOf(topology(root, [spec], 'acme'));
    expect(problems[0]).to.match(/^\/plugins\/0: plugin 'old-plugin' was built for @sluice\/core \^9\.0\.0, but this agent runs @sluice\/core 0\.1\.\d+/);
  });

  it('reports a type provided by two plugins, naming both, and accepts package#type to pick one', async () => {
    const a = writePlugin(root, 'plugin-a', '^0.1.0', 'dup');
    const b = writePlugin(root, 'plugin-b', '^0.1.0', 'dup');
    const problems = await problemsOf(topology(root, [a, b], 'dup'));
    expect(problems).to.deep.equal(["/agents/a1/sinks/k1/type: sink type 'dup' is provided by plugin-a and plugin-b; write plugin-a#dup or plugin-b#dup to pick one"]);
    expect(await problemsOf(topology(root, [a, b], "'plugin-b#dup'"))).to.deep.equal([]);
  });

  it('reports a config the plugin schema rejects, naming the component, the type and the option', async () => {
    const spec = writePlugin(root, 'acme-sink', '^0.1.0', 'acme');
    const problems = await problemsOf(topology(root, [spec], 'acme', ', level: 0, colour: blue'));
    expect(problems).to.have.members([
      '/agents/a1/sinks/k1/level: must be >= 1',
      "/agents/a1/sinks/k1/colour: is not an option of sink type 'acme'",
    ]);
  });

  it('reports a missing plugin package with an install hint', async () => {
    const problems = await problemsOf(topology(root, ['@acme/not-installed'], 'logger'));
    expect(problems[0]).to.match(/^\/plugins\/0: plugin '@acme\/not-installed' is not installed/);
  });

  it('reports a module that is not a plugin', async () => {
    writeFileSync(path.join(root, 'nope.js'), 'export default 42;\n');
    const problems = await problemsOf(topology(root, ['./nope.js'], 'logger'));
    expect(problems[0]).to.contain('does not default-export definePlugin');
  });
});

describe('ComponentCatalog', () => {
  it('registers a plugin once even when it is both listed and loaded automatically', async () => {
    const { ComponentCatalog } = await import('../src/index.js');
    const { builtinPlugin } = await import('@sluice/core');
    const catalog = new ComponentCatalog();
    catalog.register(builtinPlugin);
    catalog.register(builtinPlugin);
    expect(catalog.find('channel', 'memory')?.type).to.equal('memory');
    expect(catalog.providersOf('channel', 'memory')).to.deep.equal(['@sluice/core']);
  });
});
