import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinPlugin } from '@sluice/core';
import type { Problem } from '@sluice/config';
import { ComponentCatalog, FIRST_PARTY_TYPES, loadPlugins } from '@sluice/agent';
import { fc } from '@sluice/testkit';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from test/dist/fuzz. */
export const ROOT = path.resolve(HERE, '../../..');
/** Regression fixtures of the configuration fuzz targets (the source tree, not dist). */
export const REGRESSIONS = path.resolve(HERE, '../../fixtures/fuzz');

/** A catalog of the built-ins and every first-party plugin, so Flume and YAML files reach their components' translation and checks. */
export async function fullCatalog(): Promise<ComponentCatalog> {
  const packages = [...new Set(Object.values(FIRST_PARTY_TYPES).flatMap((types) => Object.values(types ?? {})))];
  const { plugins, failures } = await loadPlugins(packages, { baseDir: ROOT });
  if (failures.length > 0) throw new Error(`first-party plugins failed to load: ${failures.map((f) => `${f.spec}: ${f.error.message}`).join('; ')}`);
  const catalog = new ComponentCatalog();
  catalog.register(builtinPlugin);
  for (const plugin of plugins) catalog.register(plugin);
  return catalog;
}

/** Throws unless every problem is a problem: a JSON pointer path ('' for the file) and a message. */
export function assertProblems(problems: readonly Problem[], what: string): void {
  for (const problem of problems) {
    if (typeof problem.path !== 'string' || (problem.path !== '' && !problem.path.startsWith('/')) || typeof problem.message !== 'string' || problem.message === '') {
      throw new Error(`${what}: a problem without a path or message: ${JSON.stringify(problem).slice(0, 300)}`);
    }
  }
}

/** Text of the Flume corpus files (real configurations from Flume's repository and GitHub). */
export function flumeCorpus(): string[] {
  const dir = path.join(ROOT, 'test/fixtures/flume-corpus');
  return readdirSync(dir).filter((f) => f.endsWith('.properties')).sort().map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

/** Every examples/<name>/topology.yaml and every ```yaml block of the docs and README. */
export function yamlSeeds(): string[] {
  const seeds: string[] = [];
  for (const example of readdirSync(path.join(ROOT, 'examples'))) {
    try {
      seeds.push(readFileSync(path.join(ROOT, 'examples', example, 'topology.yaml'), 'utf8'));
    } catch { /* an example without a topology */ }
  }
  const docs = [path.join(ROOT, 'README.md'), ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(ROOT, 'docs', f))];
  for (const file of docs) {
    for (const match of readFileSync(file, 'utf8').matchAll(/```yaml[^\n]*\n([\s\S]*?)```/g)) seeds.push(match[1]!);
  }
  return seeds;
}

/** One edit of a text: insert a token, delete a span, duplicate or drop a line, or swap two characters. */
type Edit = { op: 'insert' | 'delete' | 'duplicate' | 'swap' | 'drop'; at: number; length: number; token: string };

/**
 * Texts made from `seeds` by up to `maxEdits` random edits, with `tokens` (the syntax of the
 * format) as what gets inserted: most mutants stay close enough to the seed to reach the
 * validator rather than stop at a syntax error.
 */
export function mutatedText(seeds: readonly string[], tokens: readonly string[], maxEdits = 6): fc.Arbitrary<string> {
  const edit: fc.Arbitrary<Edit> = fc.record({
    op: fc.constantFrom('insert', 'insert', 'insert', 'delete', 'duplicate', 'swap', 'drop'),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
    token: fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8 })),
  });
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { maxLength: maxEdits })).map(([seed, edits]) => edits.reduce(applyEdit, seed));
}

function applyEdit(text: string, edit: Edit): string {
  const at = text.length === 0 ? 0 : edit.at % (text.length + 1);
  switch (edit.op) {
    case 'insert': return text.slice(0, at) + edit.token + text.slice(at);
    case 'delete': return text.slice(0, at) + text.slice(at + edit.length);
    case 'swap': return at + 1 < text.length ? text.slice(0, at) + text[at + 1] + text[at] + text.slice(at + 2) : text;
    case 'duplicate':
    case 'drop': {
      const lines = text.split('\n');
      const i = edit.at % lines.length;
      if (edit.op === 'drop') lines.splice(i, 1);
      else lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
  }
}

/** Values that have broken parsers before: huge and odd numbers, prototype names, substitutions. */
export const HOSTILE_STRINGS = [
  '', ' ', '0', '-1', '1e400', '1e400s', '9'.repeat(30), `${'9'.repeat(400)}s`, '99999999999999999999d', '1.5', 'NaN', 'Infinity', '-0',
  '25d', '24d', '30d', '2147483647ms', '2147483648ms', '9007199254740993', '8PiB', '9999999TiB', '1e3MiB', '0x10',
  'constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype', '${constructor}', '${X}', '${X:-', '${X:-${Y}}', '$${X}', '${',
  'null', '~', 'true', 'yes', 'on', '%{constructor}', '%Y', '%', '../..', '/', '\\', '\u0000', '\u2028', '\ud800', 'ä', '😀',
];
