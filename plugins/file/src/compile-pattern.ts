import { regexError, SluiceError, type Problem } from '@sluice/core';

/**
 * A doubly escaped class in `pattern` (`\\d`: a literal backslash, then `d`), the trap of a regex
 * copied from a double-quoted or Java string into single-quoted YAML: it validates, then never
 * matches a log line (a multi-line start pattern that never matches glues every line into one
 * record). Returns the offending text, or undefined. Exactly two backslashes count: `\\\\d`
 * (an escaped backslash, then `\d`) is left alone.
 */
export function doubleEscapedClass(pattern: string): string | undefined {
  const match = /(?:^|[^\\])(\\\\[dDwWsSb])/.exec(pattern);
  return match ? match[1] : undefined;
}

/**
 * The core `regexError` of each non-empty pattern, and any doubly escaped class
 * ({@link doubleEscapedClass}), at `/<key>`, for a component's `check`.
 */
export function patternProblems(patterns: Record<string, string>): Problem[] {
  const problems: Problem[] = [];
  for (const [key, pattern] of Object.entries(patterns)) {
    const message = pattern === '' ? undefined : regexError(pattern, '', key);
    if (message !== undefined) {
      problems.push({ path: `/${key}`, message });
      continue;
    }
    const doubled = doubleEscapedClass(pattern);
    if (doubled !== undefined) {
      problems.push({
        path: `/${key}`,
        message: `${key} contains ${doubled}, which matches a backslash followed by '${doubled.at(-1)}', not what ${doubled.slice(1)} means: the pattern looks escaped twice`,
        hint: `in single-quoted YAML write one backslash ('^\\d{4}-'); in double quotes two ("^\\\\d{4}-")`,
      });
    }
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
