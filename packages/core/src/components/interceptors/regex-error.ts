import { SluiceError } from '../../errors.js';

/**
 * Compiles a user's regular expression from a component config. Called by interceptors' `create`;
 * throws SLUICE_CONFIG_INVALID naming the component and key instead of a bare SyntaxError.
 */
export function compileRegex(pattern: string, flags: string, component: string, key: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (cause) {
    throw new SluiceError('SLUICE_CONFIG_INVALID', `interceptor '${component}': ${key} '${pattern}' is not a valid regular expression (${(cause as Error).message}); fix the pattern (JavaScript syntax)`, { cause });
  }
}
