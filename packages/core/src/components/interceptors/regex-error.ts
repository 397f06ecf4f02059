/**
 * Why `pattern` (with `flags`) is not a regular expression JavaScript accepts, or undefined. The
 * interceptors' `check` reports it at the key's path, and their constructors throw it (as
 * SLUICE_CONFIG_INVALID after the interceptor's name) before they compile the pattern. Pure.
 */
export function regexError(pattern: string, flags: string, key: string): string | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (cause) {
    return `${key} '${pattern}' is not a valid regular expression (${(cause as Error).message}); fix the pattern (JavaScript syntax)`;
  }
}

