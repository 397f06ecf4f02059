import { pointer, type Problem } from './problem.js';

const WHOLE = /^\$\{[^}]+\}$/;
const VARIABLE = /\$\$\{|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A value that is one whole `${VAR}` takes the variable's YAML scalar type (number, boolean). */
function scalar(text: string): unknown {
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/**
 * Replaces `${NAME}`, `${NAME:-default}` and Flume's `${env:NAME}` in every string value (never in
 * keys) with the environment's value. `$${` writes a literal `${`. An unset variable without a
 * default is a problem at that value's path; the value is left as written.
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, problems: Problem[], path: (string | number)[] = []): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const whole = WHOLE.test(value);
    const replaced = value.replace(VARIABLE, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const found = env[name!];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path: pointer(...path), message: `environment variable ${name} is not set`, hint: `export ${name}=... before starting, or write \${${name}:-default}` });
      return match;
    });
    return whole ? scalar(replaced) : replaced;
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = substituteEnv(item, env, problems, [...path, key]);
    return out;
  }
  return value;
}
