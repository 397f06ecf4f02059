import type { AnyComponentDefinition, ComponentKind, Problem } from '@sluice/core';
import type { ComponentModel, TopologyModel } from '@sluice/config';
import type { ComponentCatalog } from './component-catalog.js';

const SECTIONS: [keyof TopologyModel['agents'][string], ComponentKind][] = [['sources', 'source'], ['channels', 'channel'], ['sinks', 'sink'], ['stages', 'stage']];

/**
 * Runs the asynchronous `verify` of every source, channel, sink and stage that has one (see
 * {@link AnyComponentDefinition.verify}) and returns their problems under each component's path
 * (`/agents/a1/stages/stats/query`). Called by {@link loadTopology} after validation passed; a
 * `verify` that throws becomes a problem naming the component, like a throwing `check`.
 */
export async function verifyComponents(model: TopologyModel, catalog: ComponentCatalog): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const [agentName, agent] of Object.entries(model.agents)) {
    for (const [section, kind] of SECTIONS) {
      for (const component of Object.values(agent[section] as Record<string, ComponentModel>)) {
        const definition = catalog.find(kind, component.type);
        if (!definition?.verify) continue;
        const at = `/agents/${escape(agentName)}/${section}/${escape(component.name)}`;
        problems.push(...await verifyOne(definition, component, at));
      }
    }
  }
  return problems;
}

async function verifyOne(definition: AnyComponentDefinition, component: ComponentModel, at: string): Promise<Problem[]> {
  try {
    const found = await definition.verify!(component.config);
    return found.map((problem) => ({ ...problem, path: `${at}${problem.path}` }));
  } catch (error) {
    return [{ path: at, message: `${definition.kind} type '${definition.type}' failed to verify its config: ${(error as Error)?.message ?? String(error)}`, hint: 'this is a bug in the component (verify() must not throw); report it to its authors' }];
  }
}

const escape = (name: string): string => name.replace(/~/g, '~0').replace(/\//g, '~1');
