import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { SluiceError } from '@sluice/core';
import { fromFlumeProperties } from './flume-properties.js';
import { ConfigError, type Problem } from './problem.js';
import type { RawTopology } from './raw-topology.js';
import { substituteEnv } from './substitute-env.js';
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
    const substituted = substituteEnvInText(text, options.env ?? process.env, problems);
    raw = fromFlumeProperties(substituted, problems, file);
  } else {
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true, lineCounter });
    // A syntax error cascades into many; the first few say where to look.
    for (const error of document.errors.slice(0, 3)) {
      const line = error.linePos?.[0];
      problems.push({ path: '', message: `${line ? `line ${line.line}, column ${line.col}: ` : ''}${error.message.split('\n')[0]}`, hint: 'fix the YAML syntax' });
    }
    const data = problems.length > 0 ? undefined : substituteEnv(document.toJS(), options.env ?? process.env, problems);
    if (document.errors.length > 0) throw new ConfigError(problems, file);
    raw = { data, format: 'yaml', yamlScalars: noteYamlScalars(document, lineCounter), ...(file ? { file } : {}) };
  }
  return problems.length > 0 ? { ...raw, problems } : raw;
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

function substituteEnvInText(text: string, env: NodeJS.ProcessEnv, problems: Problem[]): string {
  return text.split('\n').map((line, i) => {
    const linePath: Problem[] = [];
    const out = substituteEnv(line, env, linePath) as string;
    for (const problem of linePath) problems.push({ ...problem, path: `line ${i + 1}` });
    return out;
  }).join('\n');
}
