import { parseTopology } from '@sluice/config';
import { Agent, loadTopology } from '@sluice/agent';
import type { MetricGroup, PluginDefinition } from '@sluice/core';

/** A started in-process agent for plugin integration tests. */
export interface RunningAgent {
  agent: Agent;
  /** A component's counters by name (source, channel or sink). */
  metrics(component: string): MetricGroup;
  stop(drainMs?: number): Promise<void>;
}

/**
 * Starts an agent in this process from topology YAML (or an object in the YAML shape), with the
 * given plugins registered besides the built-ins and the topology's `plugins:` list. Always
 * `stop()` it in an `after` hook.
 */
export async function runAgent(topology: string | object, options: { name?: string; plugins?: readonly PluginDefinition[] } = {}): Promise<RunningAgent> {
  const text = typeof topology === 'string' ? topology : JSON.stringify(topology);
  const raw = parseTopology(text);
  const names = Object.keys((raw.data as { agents?: object }).agents ?? {});
  const name = options.name ?? names[0];
  if (name === undefined) throw new TypeError('the topology defines no agent');
  const { model, catalog } = await loadTopology(raw, { agent: name, extraPlugins: options.plugins ?? [] });
  const agent = new Agent(model.agents[name]!, catalog);
  await agent.start();
  return {
    agent,
    metrics(component) {
      const group = agent.metrics.find((m) => m.name === component);
      if (!group) throw new TypeError(`no component '${component}' in agent '${name}'`);
      return group;
    },
    stop: (drainMs) => agent.stop(drainMs),
  };
}
