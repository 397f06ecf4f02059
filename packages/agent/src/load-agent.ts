import path from 'node:path';
import { builtinPlugin, type PluginDefinition } from '@sluice/core';
import { ConfigError, readTopology, validateTopology, type Problem, type RawTopology, type TopologyModel } from '@sluice/config';
import { ComponentCatalog } from './component-catalog.js';
import { firstPartyPackagesFor } from './first-party.js';
import { loadPlugins } from './plugin-loader.js';
import { verifyComponents } from './verify-components.js';

/** A validated topology with the catalog of components it needs. */
export interface LoadedTopology {
  model: TopologyModel;
  catalog: ComponentCatalog;
  plugins: PluginDefinition[];
  /** What Flume tolerates and Sluice reports (Flume files only); the topology still loads. */
  warnings: Problem[];
  /** With `agent` set: the file's other agents, which were not checked. */
  skippedAgents: string[];
}

/** Options for {@link loadTopology}. */
export interface LoadTopologyOptions {
  /** Validate only this agent. */
  agent?: string;
  /** Treat warnings (what Flume tolerates) as errors. */
  strict?: boolean;
  /** Extra plugins to register (tests, embedding), besides the built-ins and the topology's list. */
  extraPlugins?: readonly PluginDefinition[];
}

/**
 * Loads everything a topology needs and checks it all before anything starts: the plugins it
 * lists (and first-party plugins its types call for), then every component config and the graph.
 * Rejects with one ConfigError listing every problem, plugin failures included.
 */
export async function loadTopology(raw: RawTopology, options: LoadTopologyOptions = {}): Promise<LoadedTopology> {
  const baseDir = raw.file ? path.dirname(path.resolve(raw.file)) : process.cwd();
  const listed = Array.isArray((raw.data as { plugins?: unknown })?.plugins) ? ((raw.data as { plugins: unknown[] }).plugins.filter((p) => typeof p === 'string') as string[]) : [];
  const optional = firstPartyPackagesFor(raw.data).filter((p) => !listed.includes(p));
  const { plugins, failures } = await loadPlugins([...listed, ...optional], { baseDir, optional });
  const catalog = new ComponentCatalog();
  catalog.register(builtinPlugin);
  for (const plugin of [...plugins, ...(options.extraPlugins ?? [])]) catalog.register(plugin);
  const problems: Problem[] = failures.map((f) => {
    const index = listed.indexOf(f.spec);
    return { path: index >= 0 ? `/plugins/${index}` : '/plugins', message: f.error.message, hint: f.error.code === 'SLUICE_PLUGIN_INCOMPATIBLE' ? 'upgrade the plugin or the agent so their versions match' : 'check the package name or path' };
  });
  const result = validateTopology(raw, catalog, { ...(options.agent === undefined ? {} : { agent: options.agent }), ...(options.strict ? { strict: true } : {}) });
  problems.push(...result.problems);
  if (problems.length === 0 && result.model) problems.push(...await verifyComponents(result.model, catalog));
  if (problems.length > 0 || !result.model) throw new ConfigError(problems, raw.file, result);
  return { model: result.model, catalog, plugins, warnings: result.warnings, skippedAgents: result.skippedAgents };
}

/** Reads a topology file and loads it (see {@link loadTopology}). */
export async function loadTopologyFile(file: string, options: LoadTopologyOptions = {}): Promise<LoadedTopology> {
  return loadTopology(await readTopology(file), options);
}
