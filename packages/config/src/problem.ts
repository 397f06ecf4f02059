import { SluiceError, type Problem } from '@sluice/core';

/** Re-exported from @sluice/core, where components' `check` hooks return it too. */
export type { Problem };

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
