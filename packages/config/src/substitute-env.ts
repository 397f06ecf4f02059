import { envValue } from './flume-substitution.js';
import { pointer, type Problem } from './problem.js';

const NAME = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** Deepest `${A:-${B:-...}}` nesting of defaults substituted; deeper is a problem (and kept as written). */
export const MAX_ENV_NESTING = 16;

/** A value that is one whole `${VAR}` takes the variable's YAML scalar type (number, boolean). */
function scalar(text: string): unknown {
  // 400 digits are text, not Infinity.
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(text) && Number.isFinite(Number(text))) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/**
 * Replaces `${NAME}`, `${NAME:-default}` and Flume's `${env:NAME}` in every string value (never in
 * keys) with the environment's value (own properties only: `${constructor}` is an unset variable,
 * never Object's constructor). A default may itself hold variables (`${A:-${B:-x}}`), nested at
 * most {@link MAX_ENV_NESTING} deep. `$${` writes a literal `${`; a `${...}` that is no variable
 * (`${header.id}`) is kept. An unset variable without a default is a problem at that value's
 * path; the value is left as written.
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, problems: Problem[], path: (string | number)[] = []): unknown {
  // An explicit stack: a document nested thousands deep must not overflow the call stack.
  const root: { value: unknown } = { value };
  const stack: { holder: Record<string | number, unknown>; key: string | number; path: (string | number)[] }[] = [{ holder: root as Record<string, unknown>, key: 'value', path }];
  while (stack.length > 0) {
    const { holder, key, path: at } = stack.pop()!;
    const item = holder[key];
    if (typeof item === 'string') {
      holder[key] = substituteString(item, env, problems, at);
    } else if (Array.isArray(item)) {
      const copy = [...item];
      holder[key] = copy;
      for (let i = copy.length - 1; i >= 0; i--) stack.push({ holder: copy as unknown as Record<number, unknown>, key: i, path: [...at, i] });
    } else if (item !== null && typeof item === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(item)) copy[k] = v;
      holder[key] = copy;
      const keys = Object.keys(copy);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ holder: copy, key: keys[i]!, path: [...at, keys[i]!] });
    }
  }
  return root.value;
}

function substituteString(text: string, env: NodeJS.ProcessEnv, problems: Problem[], path: (string | number)[]): unknown {
  if (!text.includes('${')) return text;
  const found: Problem[] = [];
  const state = { tooDeep: false };
  const { out, whole } = expand(text, env, found, path, 0, state);
  if (state.tooDeep) {
    problems.push({ path: pointer(...path), message: `nests \${...} defaults more than ${MAX_ENV_NESTING} levels deep`, hint: 'write the value (or a single ${NAME:-default}) without so much nesting' });
    return text;
  }
  problems.push(...found);
  return whole ? scalar(out) : out;
}

/** Expands one string; `whole` is true when it was exactly one variable. */
function expand(text: string, env: NodeJS.ProcessEnv, problems: Problem[], path: (string | number)[], depth: number, state: { tooDeep: boolean }): { out: string; whole: boolean } {
  let out = '';
  let i = 0;
  let variables = 0;
  let literal = false;
  const closing = closingBraces(text);
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      literal = true;
      i += 3;
      continue;
    }
    const next = text.indexOf('${', i);
    if (next !== i) {
      const end = next < 0 ? text.length : text[next - 1] === '$' && next - 1 > i ? next - 1 : next;
      out += text.slice(i, end);
      literal = true;
      i = end;
      continue;
    }
    const close = closing.get(i) ?? -1;
    const match = close < 0 ? null : NAME.exec(text.slice(i + 2, close));
    if (!match) {
      // Not a variable: keep its `${` and go on after it.
      out += '${';
      literal = true;
      i += 2;
      continue;
    }
    const [, name, fallback] = match as unknown as [string, string, string | undefined];
    const set = envValue(env, name);
    if (set !== undefined) out += set;
    else if (fallback !== undefined) {
      if (fallback.includes('${')) {
        if (depth >= MAX_ENV_NESTING) {
          state.tooDeep = true;
          return { out: text, whole: false };
        }
        out += expand(fallback, env, problems, path, depth + 1, state).out;
        if (state.tooDeep) return { out: text, whole: false };
      } else out += fallback;
    } else {
      problems.push({ path: pointer(...path), message: `environment variable ${name} is not set`, hint: `export ${name}=... before starting, or write \${${name}:-default}` });
      out += text.slice(i, close + 1);
    }
    variables++;
    i = close + 1;
  }
  return { out, whole: variables === 1 && !literal };
}

/**
 * The `}` closing each `${` (by the index of its `$`), nested `${...}` skipped; unclosed ones are
 * absent. One pass with a stack, so a line of ten thousand unclosed `${` costs no more than its length.
 */
function closingBraces(text: string): Map<number, number> {
  const out = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      open.push(i);
      i++;
    } else if (text[i] === '}' && open.length > 0) out.set(open.pop()!, i);
  }
  return out;
}
