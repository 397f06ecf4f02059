import { ConfigError, formatProblem } from '@sluice/config';
import { SluiceError } from '@sluice/core';

/** Writes every problem of an invalid topology `file`, under a count line that ends with `suffix`. */
export function writeConfigProblems(err: NodeJS.WritableStream, file: string, error: ConfigError, suffix = ''): void {
  err.write(`${file}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}${suffix}\n`);
  for (const problem of error.problems) err.write(`  - ${formatProblem(problem)}\n`);
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
