import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlias, isMap, isPair, isSeq, type Document, type Node } from 'yaml';
import { SluiceError } from '@sluice/core';
import { fromFlumeProperties } from './flume-properties.js';
import { ConfigError, type Problem } from './problem.js';
import type { RawTopology } from './raw-topology.js';
import { substituteEnv } from './substitute-env.js';
import { readYamlDocument } from './yaml-document.js';
import { noteYamlScalars } from './yaml-scalars.js';

/** Options for {@link parseTopology} and {@link readTopology}. */
export interface ParseOptions {
  /** `yaml` (also JSON) or `properties` (Flume); by default chosen from the file extension. */
  format?: 'yaml' | 'properties';
  /** Variables for `${NAME}` substitution (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** True for files that hold Flume properties rather than YAML. */
export function isPropertiesFile(file: string): boolean {
  return /\.(properties|conf)$/i.test(file);
}

/**
 * Parses topology text into its raw form and substitutes `${ENV}` variables. YAML syntax errors
 * throw a ConfigError (SLUICE_CONFIG_INVALID) at once; unset variables and Flume list mistakes are
 * kept in `problems` so validation reports them together with everything else.
 */
export function parseTopology(text: string, file?: string, options: ParseOptions = {}): RawTopology {
  const format = options.format ?? (file && isPropertiesFile(file) ? 'properties' : 'yaml');
  const problems: Problem[] = [];
  let raw: RawTopology;
  if (format === 'properties') {
    raw = fromFlumeProperties(text, problems, file, options.env ?? process.env);
  } else {
    const { document, lineCounter, problems: syntax } = readYamlDocument(text);
    problems.push(...syntax);
    const data = problems.length > 0 || !document ? undefined : substituteEnv(toPlainData(document, problems), options.env ?? process.env, problems);
    if (!document || (problems.length > 0 && data === undefined)) throw new ConfigError(problems, file);
    raw = { data, format: 'yaml', yamlScalars: noteYamlScalars(document, lineCounter), ...(file ? { file } : {}) };
  }
  return problems.length > 0 ? { ...raw, problems } : raw;
}

/** Most alias expansions a topology may use; YAML 'billion laughs' files stop here at once. */
const MAX_ALIAS_COUNT = 1000;

/**
 * Most values (scalars and collections) a document may hold once its aliases are expanded. The
 * yaml library's alias count does not weigh what an alias stands for: a thousand aliases of a
 * 5000-item list are 5 million values, seconds of work for every later step.
 */
export const MAX_EXPANDED_VALUES = 200_000;

/**
 * The number of values of `document` with every alias expanded, computed on the syntax tree in
 * one walk in document order (an alias counts the size of the latest node anchored under its
 * name before it) without expanding anything; stops counting past the limit. The walk recurses,
 * which is safe: readYamlDocument refused documents nested deeper than MAX_YAML_DEPTH.
 */
function expandedSize(document: Document): number {
  const anchored = new Map<string, number>();
  const sizeOf = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) return anchored.get(node.source) ?? 1;
    let total = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        total += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
        if (total > MAX_EXPANDED_VALUES) break;
      }
    }
    const anchor = (node as Node).anchor;
    if (anchor) anchored.set(anchor, total);
    return total;
  };
  return sizeOf(document.contents);
}

/**
 * The document as plain data. An alias to an anchor that does not exist, or aliases that expand
 * beyond {@link MAX_ALIAS_COUNT} nodes (an alias bomb), become a problem instead of an exception.
 */
function toPlainData(document: Document, problems: Problem[]): unknown {
  const size = expandedSize(document);
  if (size > MAX_EXPANDED_VALUES) {
    problems.push({ path: '', message: `YAML aliases expand the document to more than ${MAX_EXPANDED_VALUES} values`, hint: 'write the repeated parts out, or alias smaller parts' });
    return undefined;
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    const bomb = /alias count|resource exhaustion/i.test(message);
    problems.push({
      path: '',
      message: bomb ? `YAML aliases expand to more than ${MAX_ALIAS_COUNT} nodes (${message})` : `YAML alias error: ${message}`,
      hint: bomb ? 'write the repeated parts out, or use fewer nested aliases' : 'define the anchor (&name) before the alias (*name) that uses it',
    });
    return undefined;
  }
}

/** Reads and parses a topology file (see {@link parseTopology}). */
export async function readTopology(file: string, options: ParseOptions = {}): Promise<RawTopology> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new SluiceError('SLUICE_CONFIG_PARSE', `cannot read topology file ${path.resolve(file)}: ${(cause as Error).message}`, { cause });
  }
  return parseTopology(text, file, options);
}
