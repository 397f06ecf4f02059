import { closingBraces } from './braces.js';
import { envValue } from './flume-substitution.js';
import { pointer, type Problem } from './problem.js';

/** The head of a variable: `env:`, the name, and `:-` when a default follows. */
const VARIABLE_HEAD = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(:-)?/;

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
  // An explicit stack: a document nested thousands deep must not overflow the call stack. Each
  // entry links to its parent; a path is spelled out only for a problem.
  interface Entry { holder: Record<string | number, unknown>; key: string | number; parent?: Entry }
  const pathOf = (entry: Entry): (string | number)[] => {
    const keys: (string | number)[] = [];
    for (let at: Entry | undefined = entry; at?.parent; at = at.parent) keys.push(at.key);
    return [...path, ...keys.reverse()];
  };
  const root: { value: unknown } = { value };
  const stack: Entry[] = [{ holder: root as Record<string, unknown>, key: 'value' }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { holder, key } = entry;
    const item = holder[key];
    if (typeof item === 'string') {
      holder[key] = substituteString(item, env, problems, () => pathOf(entry));
    } else if (Array.isArray(item)) {
      const copy = [...item];
      holder[key] = copy;
      for (let i = copy.length - 1; i >= 0; i--) stack.push({ holder: copy as unknown as Record<number, unknown>, key: i, parent: entry });
    } else if (item !== null && typeof item === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(item)) copy[k] = v;
      holder[key] = copy;
      const keys = Object.keys(copy);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ holder: copy, key: keys[i]!, parent: entry });
    }
  }
  return root.value;
}

function substituteString(text: string, env: NodeJS.ProcessEnv, problems: Problem[], pathOf: () => (string | number)[]): unknown {
  if (!text.includes('${')) return text;
  const found: Problem[] = [];
  const state = { tooDeep: false };
  const { out, whole } = expand(text, 0, text.length, closingBraces(text), env, found, pathOf, 0, state);
  if (state.tooDeep) {
    problems.push({ path: pointer(...pathOf()), message: `nests \${...} defaults more than ${MAX_ENV_NESTING} levels deep`, hint: 'write the value (or a single ${NAME:-default}) without so much nesting' });
    return text;
  }
  problems.push(...found);
  return whole ? scalar(out) : out;
}

/**
 * Expands `text` from `start` to `end` (a default nested in it is expanded in place, by its
 * offsets, with the braces matched once for the whole text); `whole` is true when the span was
 * exactly one variable.
 */
function expand(text: string, start: number, end: number, closing: ReadonlyMap<number, number>, env: NodeJS.ProcessEnv, problems: Problem[], pathOf: () => (string | number)[], depth: number, state: { tooDeep: boolean }): { out: string; whole: boolean } {
  let out = '';
  let i = start;
  let variables = 0;
  let literal = false;
  while (i < end) {
    if (text.startsWith('$${', i) && i + 3 <= end) {
      out += '${';
      literal = true;
      i += 3;
      continue;
    }
    let next = text.indexOf('${', i);
    if (next < 0 || next + 2 > end) next = -1;
    if (next !== i) {
      const stop = next < 0 ? end : text.charCodeAt(next - 1) === 36 /* $ */ && next - 1 > i ? next - 1 : next;
      out += text.slice(i, stop);
      literal = true;
      i = stop;
      continue;
    }
    const close = closing.get(i) ?? -1;
    const match = close < 0 || close >= end ? null : VARIABLE_HEAD.exec(text.slice(i + 2, Math.min(close, i + 2 + 300)));
    if (!match || (match[2] === undefined && i + 2 + match[0].length !== close)) {
      // Not a variable: keep its `${` and go on after it.
      out += '${';
      literal = true;
      i += 2;
      continue;
    }
    const name = match[1]!;
    const set = envValue(env, name);
    if (set !== undefined) out += set;
    else if (match[2] !== undefined) {
      const from = i + 2 + match[0].length;
      if (text.slice(from, close).includes('${')) {
        if (depth >= MAX_ENV_NESTING) {
          state.tooDeep = true;
          return { out: text, whole: false };
        }
        out += expand(text, from, close, closing, env, problems, pathOf, depth + 1, state).out;
        if (state.tooDeep) return { out: text, whole: false };
      } else out += text.slice(from, close);
    } else {
      problems.push({ path: pointer(...pathOf()), message: `environment variable ${name} is not set`, hint: `export ${name}=... before starting, or write \${${name}:-default}` });
      out += text.slice(i, close + 1);
    }
    variables++;
    i = close + 1;
  }
  return { out, whole: variables === 1 && !literal };
}
