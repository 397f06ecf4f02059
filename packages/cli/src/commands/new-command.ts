import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CORE_VERSION } from '@sluice/core';
import { pluginTemplate } from '../scaffold/plugin-template.js';

/** `sluice new plugin NAME [--out DIR]`: scaffolds a plugin package in DIR (default ./NAME). */
export function newPluginCommand(name: string | undefined, outDir: string | undefined, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  if (!name || !/^(@[a-z0-9-]+\/)?[a-z0-9][a-z0-9._-]*$/.test(name)) {
    err.write('sluice new plugin NAME: NAME must be an npm package name, e.g. sluice-plugin-webhook or @acme/sluice-plugin-webhook\n');
    return 2;
  }
  const base = name.replace(/^@[^/]+\//, '');
  const type = base.replace(/^sluice-plugin-/, '').replace(/[^a-z0-9]+/g, '_');
  const dir = path.resolve(outDir ?? base);
  if (existsSync(dir)) {
    err.write(`sluice new plugin: ${dir} already exists; choose another name or --out directory\n`);
    return 1;
  }
  const files = pluginTemplate({ packageName: name, type, sluiceRange: `^${CORE_VERSION}` });
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  out.write(`created ${name} in ${dir} with a sample '${type}' sink\nnext: cd ${path.relative(process.cwd(), dir) || '.'} && npm install && npm test\n`);
  return 0;
}
