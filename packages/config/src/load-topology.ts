import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { SluiceError } from '@sluice/core';
import { fromFlumeProperties } from './flume-properties.js';
import { ConfigError, pointer, type Problem } from './problem.js';
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
    const data = problems.length > 0 || !document ? undefined : substituteEnv(toPlainData(document, lineCounter, problems), options.env ?? process.env, problems);
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

/** What {@link expandedSize} found: the expanded size, or the first alias that refers to a collection it is inside of. */
interface Expansion {
  size: number;
  /** The alias that would make the data contain itself: its JSON pointer, anchor name and line. */
  cycle?: { path: string; anchor: string; offset: number };
}

/**
 * The number of values of `document` with every alias expanded, computed on the syntax tree in
 * one walk in document order without expanding anything; stops counting past the limit. An alias
 * stands for the latest node anchored under its name before it, as the yaml library resolves it
 * (a collection's anchor counts from where the collection starts). When that node is a collection
 * the alias is inside of (`queue: &q { type: sqs, again: *q }`), the data would contain itself:
 * the yaml library builds that circular object, and every walk of it (substitution, validation)
 * would never end. The walk stops at the first such alias. It recurses, which is safe:
 * readYamlDocument refused documents nested deeper than MAX_YAML_DEPTH.
 */
function expandedSize(document: Document): Expansion {
  const latest = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  const path: (string | number)[] = [];
  let cycle: Expansion['cycle'];
  const sizeOf = (node: unknown): number => {
    if (node === null || node === undefined || cycle) return 0;
    if (isAlias(node)) {
      const target = latest.get(node.source);
      if (target && open.has(target)) {
        cycle = { path: pointer(...path), anchor: node.source, offset: node.range?.[0] ?? 0 };
        return 0;
      }
      return target ? (sizes.get(target) ?? 1) : 1;
    }
    const anchor = (node as Node).anchor;
    if (anchor) latest.set(anchor, node as Node);
    open.add(node as Node);
    let total = 1;
    if (isMap(node)) {
      for (const pair of node.items) {
        total += sizeOf(pair.key);
        path.push(isScalar(pair.key) ? String(pair.key.value) : '?');
        total += sizeOf(pair.value);
        path.pop();
        if (total > MAX_EXPANDED_VALUES || cycle) break;
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (total > MAX_EXPANDED_VALUES || cycle) return;
        path.push(i);
        total += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
        path.pop();
      });
    }
    open.delete(node as Node);
    sizes.set(node as Node, total);
    return total;
  };
  const size = sizeOf(document.contents);
  return cycle ? { size, cycle } : { size };
}

/**
 * The document as plain data. An alias to an anchor that does not exist, an alias inside the
 * collection it refers to (data that contains itself), or aliases that expand beyond
 * {@link MAX_ALIAS_COUNT} nodes or {@link MAX_EXPANDED_VALUES} values (an alias bomb) become a
 * problem instead of an exception or a walk without end.
 */
function toPlainData(document: Document, lineCounter: LineCounter, problems: Problem[]): unknown {
  const { size, cycle } = expandedSize(document);
  if (cycle) {
    const { line, col } = lineCounter.linePos(cycle.offset);
    problems.push({
      path: cycle.path,
      message: `line ${line}, column ${col}: the alias *${cycle.anchor} is inside the collection anchored &${cycle.anchor}, which would contain itself`,
      hint: `move the alias out of the &${cycle.anchor} collection, or write the value out`,
    });
    return undefined;
  }
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
