import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
// The two functions, not semver's index, which loads every function and class it has.
import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';
import { CORE_VERSION, SluiceError, type PluginDefinition } from '@sluice/core';

/** One plugin that failed to load, with the reason. */
export interface PluginLoadFailure {
  spec: string;
  error: SluiceError;
}

/** Options for {@link loadPlugins}. */
export interface LoadPluginsOptions {
  /** Directory package names and relative paths resolve from (the topology file's directory). */
  baseDir: string;
  /** Specs that may be missing without error (first-party packages loaded on demand). */
  optional?: readonly string[];
}

/**
 * Imports each plugin (an npm package name resolved from `baseDir`, or a local path) and checks
 * its shape and declared @sluice/core range. Collects every failure rather than stopping at the
 * first, so `sluice validate` can show them all.
 */
export async function loadPlugins(specs: readonly string[], options: LoadPluginsOptions): Promise<{ plugins: PluginDefinition[]; failures: PluginLoadFailure[] }> {
  const plugins: PluginDefinition[] = [];
  const failures: PluginLoadFailure[] = [];
  for (const spec of new Set(specs)) {
    try {
      const entry = resolvePlugin(spec, options.baseDir);
      if (entry === undefined) {
        if (options.optional?.includes(spec)) continue;
        throw new SluiceError('SLUICE_PLUGIN_LOAD', `plugin '${spec}' is not installed (looked from ${options.baseDir}); run npm install ${spec}`);
      }
      plugins.push(await importPlugin(spec, entry));
    } catch (error) {
      failures.push({ spec, error: error instanceof SluiceError ? error : new SluiceError('SLUICE_PLUGIN_LOAD', `plugin '${spec}' failed to load: ${(error as Error).message}`, { cause: error }) });
    }
  }
  return { plugins, failures };
}

/** Resolves a plugin spec to a file path, or undefined when it is not installed. */
export function resolvePlugin(spec: string, baseDir: string): string | undefined {
  if (spec.startsWith('.') || path.isAbsolute(spec)) {
    const target = path.resolve(baseDir, spec);
    if (!existsSync(target)) return undefined;
    if (statSync(target).isDirectory()) {
      const manifest = path.join(target, 'package.json');
      if (existsSync(manifest)) {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { main?: string; exports?: unknown };
        const main = typeof pkg.exports === 'string' ? pkg.exports : ((pkg.exports as Record<string, unknown> | undefined)?.['.'] as string | undefined) ?? pkg.main ?? 'index.js';
        return path.join(target, main);
      }
      return path.join(target, 'index.js');
    }
    return target;
  }
  for (const from of [path.join(baseDir, 'noop.js'), path.join(process.cwd(), 'noop.js'), import.meta.filename]) {
    try {
      return createRequire(from).resolve(spec);
    } catch {
      // try the next location
    }
  }
  return undefined;
}

async function importPlugin(spec: string, entry: string): Promise<PluginDefinition> {
  const module = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  const plugin = module.default as Partial<PluginDefinition> | undefined;
  if (!plugin || typeof plugin !== 'object' || typeof plugin.name !== 'string' || !Array.isArray(plugin.components)) {
    throw new SluiceError('SLUICE_PLUGIN_LOAD', `plugin '${spec}' (${entry}) does not default-export definePlugin({ name, core, components })`);
  }
  if (typeof plugin.core !== 'string' || validRange(plugin.core) === null) {
    throw new SluiceError('SLUICE_PLUGIN_INCOMPATIBLE', `plugin '${plugin.name}' does not declare a valid @sluice/core range (core: ${JSON.stringify(plugin.core)})`);
  }
  if (!satisfies(CORE_VERSION, plugin.core, { includePrerelease: true })) {
    throw new SluiceError('SLUICE_PLUGIN_INCOMPATIBLE', `plugin '${plugin.name}' was built for @sluice/core ${plugin.core}, but this agent runs @sluice/core ${CORE_VERSION}; install a plugin version made for ${CORE_VERSION}`);
  }
  for (const component of plugin.components) {
    if (!component || typeof component.create !== 'function' || typeof component.type !== 'string' || typeof component.kind !== 'string' || typeof component.schema !== 'object') {
      throw new SluiceError('SLUICE_PLUGIN_LOAD', `plugin '${plugin.name}' has a component that is not a defineComponent({ kind, type, schema, create }) value (type: ${String(component?.type)})`);
    }
  }
  return plugin as PluginDefinition;
}
