import { closingBraces } from './braces.js';

/** Reports one finding of {@link substituteFlumeValue}; `severity` absent means an error. */
export type SubstitutionReport = (message: string, hint?: string, severity?: 'warning') => void;

const JAVA_LOOKUPS = new Set(['sys', 'java', 'date', 'const', 'base64decoder', 'base64encoder', 'file', 'localhost', 'properties', 'resourcebundle', 'script', 'url', 'urldecoder', 'urlencoder', 'xml', 'dns']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Deepest `${${...}}` nesting substituted; deeper is an error (and recursion could overflow the stack). */
export const MAX_SUBSTITUTION_NESTING = 16;
/** Longest text one value may expand to through key references (`a = ${b}${b}`, `b = ${c}${c}`...). */
export const MAX_SUBSTITUTED_LENGTH = 1 << 20;
/** Most `${...}` one file may resolve, counting those inside referenced keys' values. */
export const MAX_SUBSTITUTIONS = 100_000;

/**
 * The substitutions left for one file, shared by the calls of {@link substituteFlumeValue} for its
 * values: keys that reference each other twice over (`x2 = ${x1}${x1}`, `x3 = ${x2}${x2}`...) must
 * not cost seconds per value.
 */
export class SubstitutionBudget {
  steps = MAX_SUBSTITUTIONS;
}

/** The environment's own string value of `name`: never an Object.prototype member such as `constructor`. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  if (!Object.hasOwn(env, name)) return undefined;
  const value = env[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Shared by the recursive calls of one top-level substitution: reports of a limit are made once.
 * `keys` holds each referenced key's value once substituted, by depth and name: keys that
 * reference each other twice over (`x2 = ${x1}${x1}`, `x3 = ${x2}${x2}`...) are substituted once
 * per depth, not once per path to them (2^depth times).
 */
interface Budget { length: number; file: SubstitutionBudget; tooDeep: boolean; tooLong: boolean; keys: Map<string, string> }

/**
 * Substitutes `${...}` in one value of a Flume file the way Flume 1.10+ does (`MapResolver`, a
 * commons-text StringSubstitutor), as far as it makes sense outside a JVM:
 * - `${env:NAME}` is the environment variable (unset: an error, Flume would keep the text);
 * - `${NAME}` is another key of the same file (Flume's default lookup), else the environment
 *   variable (Flume's `EnvVarResolverProperties`); unset: an error;
 * - `${sys:...}`, `${java:...}`, `${date:...}` and other JVM lookups are kept as written, with a
 *   warning: Sluice has no Java system properties;
 * - anything else (`${header.id:int}`, `${a.b}` that is no key of the file) is data and kept;
 * - `$${` is a literal `${`. Nested variables (`${${sys:env}_BIND}`) resolve from the inside.
 *
 * Nesting deeper than {@link MAX_SUBSTITUTION_NESTING}, key references that expand beyond
 * {@link MAX_SUBSTITUTED_LENGTH} characters and substitutions beyond the file's `budget` are
 * reported as errors and keep the value as written.
 */
export function substituteFlumeValue(value: string, properties: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, report: SubstitutionReport, depth = 0, envFilters: ReadonlySet<string> = new Set(), file = new SubstitutionBudget()): string {
  const budget: Budget = { length: 0, file, tooDeep: false, tooLong: false, keys: new Map() };
  // A key referenced many times reports its unset variable once per value.
  const reported = new Set<string>();
  const once: SubstitutionReport = (message, hint, severity) => {
    if (reported.has(message)) return;
    reported.add(message);
    report(message, hint, severity);
  };
  const out = substitute(value, properties, env, once, depth, envFilters, budget);
  if (budget.tooDeep) {
    report(`nests \${...} more than ${MAX_SUBSTITUTION_NESTING} levels deep; the value is kept as written`, 'write the value without so many nested ${...}');
    return value;
  }
  if (budget.tooLong) {
    report(`its \${...} references expand to more than ${MAX_SUBSTITUTED_LENGTH} characters, or the file's more than ${MAX_SUBSTITUTIONS} substitutions; the value is kept as written`, 'reference keys whose values do not reference each other over and over');
    return value;
  }
  return out;
}

function substitute(value: string, properties: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, report: SubstitutionReport, depth: number, envFilters: ReadonlySet<string>, budget: Budget): string {
  if (!value.includes('${')) return value;
  if (budget.tooDeep || budget.tooLong) return value;
  // Each `${`'s closing brace, matched once for the value; nested `${...}` are substituted in place,
  // by their offsets. Matching each `${` by scanning on from it, and each nested level in a copy of
  // its text, cost the length of the value per variable and per level.
  const out = substituteSpan(value, 0, value.length, closingBraces(value), properties, env, report, depth, envFilters, budget);
  return budget.tooDeep || budget.tooLong ? value : out;
}

/** Substitutes `value` from `start` to `end`, where every `${` has its closing brace in `closing` or none. */
function substituteSpan(value: string, start: number, end: number, closing: ReadonlyMap<number, number>, properties: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, report: SubstitutionReport, depth: number, envFilters: ReadonlySet<string>, budget: Budget): string {
  let out = '';
  let i = start;
  while (i < end) {
    if (value.startsWith('$${', i) && i + 3 <= end) {
      out += '${';
      i += 3;
      continue;
    }
    let next = value.indexOf('${', i);
    if (next + 2 > end) next = -1;
    if (next !== i) {
      // Plain text up to the next variable (or the end), copied at once.
      const stop = next < 0 ? end : value[next - 1] === '$' ? next - 1 : next;
      if (stop > i) {
        out += value.slice(i, stop);
        i = stop;
        continue;
      }
      out += value[i++];
      continue;
    }
    if (--budget.file.steps < 0) {
      budget.tooLong = true;
      return out;
    }
    // A `${` inside the span closes inside it, or not at all.
    const close = closing.get(i) ?? -1;
    if (close < 0) {
      out += value.slice(i, end);
      break;
    }
    let name: string;
    const nested = value.indexOf('${', i + 2);
    if (nested >= 0 && nested + 2 <= close) {
      if (depth >= MAX_SUBSTITUTION_NESTING) {
        budget.tooDeep = true;
        return out;
      }
      name = substituteSpan(value, i + 2, close, closing, properties, env, report, depth + 1, envFilters, budget);
      if (budget.tooDeep || budget.tooLong) return out;
    } else name = value.slice(i + 2, close);
    out += resolve(name, value.slice(i, close + 1), properties, env, report, depth, envFilters, budget);
    if (out.length > MAX_SUBSTITUTED_LENGTH) budget.tooLong = true;
    if (budget.tooDeep || budget.tooLong) return out;
    i = close + 1;
  }
  return out;
}

function resolve(name: string, written: string, properties: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, report: SubstitutionReport, depth: number, envFilters: ReadonlySet<string>, budget: Budget): string {
  if (name.includes('${')) return written;
  // A config filter reference, ${f1['KEY']}: Sluice runs filters of type env.
  const filtered = /^([^[\]'"]+)\[(['"]?)(.*)\2\]$/.exec(name);
  if (filtered && envFilters.has(filtered[1]!)) {
    const found = envValue(env, filtered[3]!);
    if (found !== undefined) return found;
    report(`environment variable ${filtered[3]!} (config filter ${filtered[1]!}) is not set`, `export ${filtered[3]!}=... before starting`);
    return written;
  }
  const colon = name.indexOf(':');
  if (colon > 0) {
    const lookup = name.slice(0, colon).toLowerCase();
    const key = name.slice(colon + 1);
    if (lookup === 'env' && ENV_NAME.test(key)) {
      const found = envValue(env, key);
      if (found !== undefined) return found;
      report(`environment variable ${key} is not set`, `export ${key}=... before starting`);
      return written;
    }
    if (JAVA_LOOKUPS.has(lookup)) {
      report(`${written} is a Java ${lookup} lookup; Sluice runs without a JVM and keeps it as written`, lookup === 'sys' ? `use \${env:NAME} with an environment variable instead of -D${key}` : 'replace it with the value or an ${env:NAME} variable', 'warning');
      return written;
    }
    return written;
  }
  const own = properties.get(name);
  if (own !== undefined && depth < 10) {
    budget.length += own.length;
    if (budget.length > MAX_SUBSTITUTED_LENGTH) {
      budget.tooLong = true;
      return written;
    }
    // The result depends only on the key and the depth (references stop 10 deep); an unset
    // variable in it was reported the first time.
    const memo = `${depth}\0${name}`;
    let substituted = budget.keys.get(memo);
    if (substituted === undefined) {
      substituted = substitute(own, properties, env, report, depth + 1, new Set(), budget);
      budget.keys.set(memo, substituted);
    }
    return substituted;
  }
  if (!ENV_NAME.test(name)) return written;
  const found = envValue(env, name);
  if (found !== undefined) return found;
  report(`\${${name}} is neither a key of this file nor a set environment variable`, `export ${name}=... before starting, or define ${name} = ... in the file`);
  return written;
}
