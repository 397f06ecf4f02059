import { regexError, SluiceError, type Problem } from '@sluice/core';

/** The core `regexError` of each non-empty pattern, at `/<key>`, for a component's `check`. */
export function patternProblems(patterns: Record<string, string>): Problem[] {
  const problems: Problem[] = [];
  for (const [key, pattern] of Object.entries(patterns)) {
    const message = pattern === '' ? undefined : regexError(pattern, '', key);
    if (message !== undefined) problems.push({ path: `/${key}`, message });
  }
  return problems;
}

/**
 * Compiles a regular expression from a component's config; a bad one fails with
 * SLUICE_CONFIG_INVALID naming the component (`who`, e.g. `spooldir source 'r1'`) and the key,
 * not a bare SyntaxError.
 */
export function compilePattern(pattern: string, who: string, key: string): RegExp {
  const message = regexError(pattern, '', key);
  if (message !== undefined) throw new SluiceError('SLUICE_CONFIG_INVALID', `${who}: ${message}`, { details: { component: who, key } });
  return new RegExp(pattern);
}
