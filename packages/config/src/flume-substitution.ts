/** Reports one finding of {@link substituteFlumeValue}; `severity` absent means an error. */
export type SubstitutionReport = (message: string, hint?: string, severity?: 'warning') => void;

const JAVA_LOOKUPS = new Set(['sys', 'java', 'date', 'const', 'base64decoder', 'base64encoder', 'file', 'localhost', 'properties', 'resourcebundle', 'script', 'url', 'urldecoder', 'urlencoder', 'xml', 'dns']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
 */
export function substituteFlumeValue(value: string, properties: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, report: SubstitutionReport, depth = 0, envFilters: ReadonlySet<string> = new Set()): string {
  if (!value.includes('${')) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    if (value.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!value.startsWith('${', i)) {
      out += value[i++];
      continue;
    }
    const end = matchingBrace(value, i + 2);
    if (end < 0) {
      out += value.slice(i);
      break;
    }
    const inner = value.slice(i + 2, end);
    const name = inner.includes('${') ? substituteFlumeValue(inner, properties, env, report, depth + 1, envFilters) : inner;
    out += resolve(name, value.slice(i, end + 1), properties, env, report, depth, envFilters);
    i = end + 1;
  }
  return out;
}

function resolve(name: string, written: string, properties: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, report: SubstitutionReport, depth: number, envFilters: ReadonlySet<string>): string {
  if (name.includes('${')) return written;
  // A config filter reference, ${f1['KEY']}: Sluice runs filters of type env.
  const filtered = /^([^[\]'"]+)\[(['"]?)(.*)\2\]$/.exec(name);
  if (filtered && envFilters.has(filtered[1]!)) {
    const found = env[filtered[3]!];
    if (found !== undefined) return found;
    report(`environment variable ${filtered[3]!} (config filter ${filtered[1]!}) is not set`, `export ${filtered[3]!}=... before starting`);
    return written;
  }
  const colon = name.indexOf(':');
  if (colon > 0) {
    const lookup = name.slice(0, colon).toLowerCase();
    const key = name.slice(colon + 1);
    if (lookup === 'env' && ENV_NAME.test(key)) {
      const found = env[key];
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
  if (own !== undefined && depth < 10) return substituteFlumeValue(own, properties, env, report, depth + 1);
  if (!ENV_NAME.test(name)) return written;
  const found = env[name];
  if (found !== undefined) return found;
  report(`\${${name}} is neither a key of this file nor a set environment variable`, `export ${name}=... before starting, or define ${name} = ... in the file`);
  return written;
}

function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text.startsWith('${', i)) {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}
