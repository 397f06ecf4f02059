import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadPlugins } from '@sluice/agent';
import { builtinPlugin } from '@sluice/core';
import { renderComponentsDoc } from '../docs/render-components.js';
import { renderErrorsDoc } from '../docs/render-errors.js';

/** The first-party packages documented in docs/components.md, in order. */
export const FIRST_PARTY_PACKAGES = [
  '@sluice/channel-file', '@sluice/plugin-avro', '@sluice/plugin-file', '@sluice/plugin-hdfs', '@sluice/plugin-http',
  '@sluice/plugin-kafka', '@sluice/plugin-s3', '@sluice/plugin-sqs', '@sluice/plugin-syslog',
];

/** Renders every generated document, keyed by file name. */
export async function renderDocs(baseDir: string): Promise<Record<string, string>> {
  const { plugins, failures } = await loadPlugins(FIRST_PARTY_PACKAGES, { baseDir, optional: FIRST_PARTY_PACKAGES });
  if (failures.length > 0) throw failures[0]!.error;
  const withComponents = plugins.filter((p) => p.components.length > 0);
  return { 'components.md': renderComponentsDoc([builtinPlugin, ...withComponents]), 'errors.md': renderErrorsDoc() };
}

/** `sluice docs [--check] [--out DIR]`: writes the generated docs, or with --check exits 1 when they are stale. */
export async function docsCommand(outDir: string, check: boolean, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const docs = await renderDocs(process.cwd());
  let stale = 0;
  for (const [name, content] of Object.entries(docs)) {
    const file = path.join(outDir, name);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (current === content) continue;
    if (check) {
      err.write(`${file} is out of date; run npm run docs and commit it\n`);
      stale++;
    } else {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(file, content);
      out.write(`wrote ${file}\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}
