import { SluiceError } from '@sluice/core';

/**
 * Compiles a regular expression from a component's config; a bad one fails with
 * SLUICE_CONFIG_INVALID naming the component and the key, not a bare SyntaxError.
 */
export function compilePattern(pattern: string, component: string, key: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (cause) {
    throw new SluiceError('SLUICE_CONFIG_INVALID',
      `'${component}': ${key} '${pattern}' is not a valid regular expression (${(cause as Error).message}); fix the pattern (JavaScript syntax)`,
      { cause, details: { component, key } });
  }
}
