import { SluiceError } from '@sluice/core';

/** One thing wrong with a topology: where, what, and how to fix it. */
export interface Problem {
  /** JSON pointer into the topology, e.g. `/agents/a1/sinks/k1/batchSize`. */
  path: string;
  /** What is wrong, for people. */
  message: string;
  /** How to fix it, when we can tell. */
  hint?: string;
  /** The .properties key the path came from, for Flume files. */
  key?: string;
}

/** Formats one problem as a single line: `path (key): message. hint`. */
export function formatProblem(problem: Problem): string {
  const where = problem.key ? `${problem.path} (${problem.key})` : problem.path;
  return `${where}: ${problem.message}${problem.hint ? `. Hint: ${problem.hint}` : ''}`;
}

/** Thrown with every problem found, never just the first (code SLUICE_CONFIG_INVALID). */
export class ConfigError extends SluiceError {
  constructor(readonly problems: readonly Problem[], file?: string) {
    super('SLUICE_CONFIG_INVALID', `${file ?? 'topology'} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`, { details: { problems } });
    this.name = 'ConfigError';
  }
}

/** Escapes one segment of a JSON pointer. */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins segments into a JSON pointer. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${pointerSegment(s)}`).join('');
}
