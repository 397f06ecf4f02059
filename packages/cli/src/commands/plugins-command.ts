import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { loadPlugins } from '@sluice/agent';
import { builtinPlugin, type PluginDefinition } from '@sluice/core';

/** Finds installed packages with the `sluice-plugin` keyword in node_modules folders from `dir` up. */
export function findInstalledPlugins(dir: string): string[] {
  const found = new Set<string>();
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const modules = path.join(at, 'node_modules');
    if (existsSync(modules)) {
      for (const entry of readdirSync(modules)) {
        const names = entry.startsWith('@') ? readdirSync(path.join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
        for (const name of names) {
          const manifest = path.join(modules, name, 'package.json');
          if (!existsSync(manifest)) continue;
          try {
            const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { keywords?: unknown };
            if (Array.isArray(pkg.keywords) && pkg.keywords.includes('sluice-plugin')) found.add(name);
          } catch {
            // not a readable package; skip it
          }
        }
      }
    }
    if (path.dirname(at) === at) break;
  }
  return [...found].sort();
}

/** `sluice plugins`: the built-ins and every installed plugin with the component types each provides. */
export async function pluginsCommand(dir: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { plugins, failures } = await loadPlugins(findInstalledPlugins(dir), { baseDir: dir });
  for (const plugin of [builtinPlugin, ...plugins]) out.write(describe(plugin));
  for (const failure of failures) err.write(`${failure.spec}: ${failure.error.message} [${failure.error.code}]\n`);
  return failures.length > 0 ? 1 : 0;
}

function describe(plugin: PluginDefinition): string {
  const lines = [`${plugin.name} (core ${plugin.core})`];
  for (const c of plugin.components) lines.push(`  ${c.kind.padEnd(11)} ${c.type.padEnd(16)} ${c.description}`);
  return `${lines.join('\n')}\n`;
}
