import { regexHazard } from './regex-hazard.js';

/**
 * Why `pattern` (with `flags`) cannot be a configured regular expression, or undefined: it is not
 * one JavaScript accepts, or it could stall the agent ({@link regexHazard}: a nested repetition
 * that V8's linear-time engine cannot take over). The interceptors' `check` reports it at the
 * key's path, and their constructors throw it (as SLUICE_CONFIG_INVALID after the interceptor's
 * name) before they compile the pattern. Every pattern that passes is matched with catastrophic
 * backtracking bounded (`boundRegexBacktracking`). Pure apart from that process-wide setting.
 */
export function regexError(pattern: string, flags: string, key: string): string | undefined {
  try {
    new RegExp(pattern, flags);
  } catch (cause) {
    return `${key} '${pattern}' is not a valid regular expression (${(cause as Error).message}); fix the pattern (JavaScript syntax)`;
  }
  return regexHazard(pattern, flags, key);
}

