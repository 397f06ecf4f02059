import { ConfigError, formatProblem, groupProblemsByAgent, type Problem } from '@sluice/config';
import { SluiceError } from '@sluice/core';

/**
 * Writes every problem of an invalid topology `file` under a count line that ends with `suffix`:
 * grouped per agent when the file defines several, warnings after the errors, and a last line
 * naming the agents `-n` left unchecked.
 */
export function writeConfigProblems(err: NodeJS.WritableStream, file: string, error: ConfigError, suffix = ''): void {
  err.write(`${file}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}${suffix}\n`);
  writeGrouped(err, [...error.problems, ...error.warnings]);
  writeSkipped(err, error.skippedAgents);
}

/** Writes `problems` one per line, under a header per agent when they concern more than one. */
export function writeGrouped(out: NodeJS.WritableStream, problems: readonly Problem[]): void {
  const groups = groupProblemsByAgent(problems);
  const headers = groups.length > 1;
  for (const [agent, list] of groups) {
    if (headers) out.write(agent === undefined ? 'file:\n' : `agent '${agent}': ${countOf(list)}\n`);
    for (const problem of list) out.write(`  - ${formatProblem(problem)}\n`);
  }
}

/** `(2 other agents not checked: host2, host3)` when `-n` skipped some. */
export function writeSkipped(out: NodeJS.WritableStream, skipped: readonly string[]): void {
  if (skipped.length > 0) out.write(`  (${skipped.length} other agent${skipped.length === 1 ? '' : 's'} in the file not checked: ${skipped.join(', ')})\n`);
}

function countOf(list: readonly Problem[]): string {
  const errors = list.filter((p) => p.severity !== 'warning').length;
  const warnings = list.length - errors;
  return [errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : '', warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
}

/**
 * How the commands that only load a topology (validate, graph) report a failure: every problem of
 * an invalid file, or a SluiceError with its code; both exit 1. Anything else is a bug and rethrown.
 */
export function reportLoadFailure(error: unknown, file: string, err: NodeJS.WritableStream): number {
  if (error instanceof ConfigError) {
    writeConfigProblems(err, file, error);
    return 1;
  }
  if (error instanceof SluiceError) {
    err.write(`${file}: ${error.message} [${error.code}]\n`);
    return 1;
  }
  throw error;
}
