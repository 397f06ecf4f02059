import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, parseTopology, type Problem } from '@sluice/config';
import { BatchSink, defineComponent, definePlugin, type SinkContext, type SluiceEvent } from '@sluice/core';
import { Agent, loadTopology } from '../src/index.js';

/** A door the test opens and closes; a gate sink refuses batches while it is closed. */
export class Gate {
  open = false;
  readonly written: string[] = [];
}

/** A sink that writes into its test's Gate, failing (retriably) while the gate is closed. */
class GateSink extends BatchSink {
  constructor(ctx: SinkContext, batchSize: number, private readonly gate: Gate) {
    super(ctx, batchSize);
  }
  protected async write(events: SluiceEvent[]): Promise<void> {
    if (!this.gate.open) throw new Error('gate closed');
    for (const e of events) this.gate.written.push(e.body.toString());
  }
}

/** A plugin providing the `gate` sink bound to `gate`. */
export function gatePlugin(gate: Gate) {
  return definePlugin({
    name: 'gate-test-plugin',
    core: '^0.1.0',
    components: [defineComponent<'sink', { batchSize: number }>({
      kind: 'sink', type: 'gate', description: 'test sink', guarantee: 'test only',
      schema: { type: 'object', additionalProperties: false, properties: { batchSize: { type: 'integer', minimum: 1, default: 10, description: 'batch' } }, required: ['batchSize'] },
      create: (config, ctx) => new GateSink(ctx, config.batchSize, gate),
    })],
  });
}

/** Validates topology YAML for agent `a1` with the gate plugin. */
export async function modelOf(yaml: string, gate: Gate) {
  const { model, catalog } = await loadTopology(parseTopology(yaml), { agent: 'a1', extraPlugins: [gatePlugin(gate)] });
  return { model: model.agents.a1!, catalog, topology: model };
}

/** Starts agent `a1` from YAML. */
export async function startAgent(yaml: string, gate: Gate): Promise<Agent> {
  const { model, catalog } = await modelOf(yaml, gate);
  const agent = new Agent(model, catalog);
  await agent.start();
  return agent;
}

/** Polls `check` every 20 ms until it is true, failing after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A path beside these tests, so first-party plugins resolve from the repository whatever the
 * working directory (the file itself is never read).
 */
export const besideTests = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/** Every problem loadTopology reports for the topology `text` (as if read from `file` beside the tests); [] when it loads. */
export async function problemsOf(text: string, file: string): Promise<Problem[]> {
  try {
    await loadTopology(parseTopology(text, besideTests(file)));
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  return [];
}
