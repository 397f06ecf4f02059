import { SluiceError, type Problem } from '@sluice/core';

/** Re-exported from @sluice/core, where components' `check` hooks return it too. */
export type { Problem };

/** Formats one problem as a single line: `[warning: ]path (key): message. Hint: hint`. */
export function formatProblem(problem: Problem): string {
  const where = problem.key ? `${problem.path} (${problem.key})` : problem.path || '(file)';
  return `${problem.severity === 'warning' ? 'warning: ' : ''}${where}: ${problem.message}${problem.hint ? `. Hint: ${problem.hint}` : ''}`;
}

/** The agent a problem belongs to (from its `/agents/<name>` path), or undefined for file-level ones. */
export function agentOfProblem(problem: Problem): string | undefined {
  const match = /^\/agents\/([^/]+)/.exec(problem.path);
  return match ? match[1]!.replace(/~1/g, '/').replace(/~0/g, '~') : undefined;
}

/**
 * Groups problems by agent, file-level problems (no agent) first under `undefined`, agents in
 * order of first appearance; for `sluice validate`, which reports a multi-agent file per agent.
 */
export function groupProblemsByAgent(problems: readonly Problem[]): [string | undefined, Problem[]][] {
  const groups = new Map<string | undefined, Problem[]>([[undefined, []]]);
  for (const problem of problems) {
    const agent = agentOfProblem(problem);
    const group = groups.get(agent);
    if (group) group.push(problem);
    else groups.set(agent, [problem]);
  }
  return [...groups].filter(([, list]) => list.length > 0);
}

/** Extra context a ConfigError carries besides its errors. */
export interface ConfigErrorContext {
  /** Warnings found with the errors (Flume files). */
  warnings?: readonly Problem[];
  /** Agents of the file that were not checked (`-n`). */
  skippedAgents?: readonly string[];
}

/** Thrown with every problem found, never just the first (code SLUICE_CONFIG_INVALID). */
export class ConfigError extends SluiceError {
  readonly warnings: readonly Problem[];
  readonly skippedAgents: readonly string[];

  constructor(readonly problems: readonly Problem[], file?: string, context: ConfigErrorContext = {}) {
    super('SLUICE_CONFIG_INVALID', `${file ?? 'topology'} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`, { details: { problems } });
    this.name = 'ConfigError';
    this.warnings = context.warnings ?? [];
    this.skippedAgents = context.skippedAgents ?? [];
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
