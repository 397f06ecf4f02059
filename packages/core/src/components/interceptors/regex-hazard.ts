import v8 from 'node:v8';

let bounded = false;

/**
 * Makes catastrophic backtracking impossible for the patterns V8's linear-time engine can run:
 * once a match has backtracked 50,000 times, V8 finishes it on that engine (same result, time
 * proportional to input length times pattern size) instead of backtracking exponentially. Sets
 * two V8 flags for the whole process, once; they only change how long a runaway match takes
 * (and let `l`, the linear-engine flag, be used to ask whether a pattern qualifies). Called before
 * any configured pattern is compiled or checked. One known difference once the linear engine has
 * taken over: a repeated or optional group that can match nothing (`(a*?)?`) may match the empty
 * string where the language requires it to consume text, so such a pattern can give a shorter
 * match on the rare event that needed 50,000 backtracks.
 */
export function boundRegexBacktracking(): void {
  if (bounded) return;
  bounded = true;
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
}

/** True when V8's linear-time engine can run `pattern` (no backreferences, lookarounds, `i`/`u` flags, large counted repeats). */
export function runsInLinearTime(pattern: string, flags: string): boolean {
  boundRegexBacktracking();
  try {
    new RegExp(pattern, `${flags.replace(/[gy]/g, '')}l`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Repeats nested this deep are refused whatever the engine: a global search_replace of
 * `a(?:(?:.{2,})+x)*` takes 8 s on 1,500 characters in the linear-time engine too (each of the many
 * matches explores every way the inner repeats split the rest). Two levels stay linear enough.
 */
const MAX_REPEAT_DEPTH = 3;

/** A quantifier repeats its atom many times: `*`, `+`, `{n,}`, or `{n,m}` with m of 10 or more. */
function repeats(quantifier: string): boolean {
  if (quantifier === '*' || quantifier === '+') return true;
  const counted = /^\{(\d+)(,(\d*))?\}$/.exec(quantifier);
  if (!counted || counted[2] === undefined) return false;
  return counted[3] === '' || Number(counted[3]) >= 10;
}

/** Whether a quantifier lets its atom match a varying number of times (`?`, `*`, `+`, `{1,3}`; not `{3}`). */
function varies(quantifier: string): boolean {
  const counted = /^\{(\d+)(,(\d*))?\}$/.exec(quantifier);
  if (!counted) return true;
  return counted[2] !== undefined && counted[3] !== counted[1];
}

/** What {@link repetitionShape} found in a pattern. */
export interface RepetitionShape {
  /**
   * A repeated group whose content can match texts of different lengths (`(a+)+`, `(.{1,3})+`,
   * `(a|aa)*`): the shape of exponential backtracking, since each iteration can split the text
   * another way.
   */
  nested: string | undefined;
  /** How many many-times repeats (`*`, `+`, `{n,}`, `{n,m}` with m >= 10) the pattern has. */
  repeats: number;
  /** Whether it has a backreference (`\1`, `\k<name>`). */
  backreference: boolean;
  /** How deep many-times repeats nest: 1 for `a+`, 2 for `(a+)+`, 3 for `((a+)+b)*`. */
  depth: number;
}

/**
 * A syntax scan of `pattern` for the shapes of runaway backtracking: a repeated group whose
 * content varies in length (`(a+)+`, `(?:\w+\s?)*`, `((x*)y){2,}`, `(.{1,3})+`, `(a|aa)*`), and the number of repeats (two repeats that can
 * match the same text, as in `\w+\s*\w+!`, backtrack polynomially). Not a proof: it also counts
 * harmless ones, which is why it only matters for patterns the linear engine cannot take over.
 */
export function repetitionShape(pattern: string): RepetitionShape {
  // varies: the group's content can match texts of different lengths (a varying quantifier or an alternation inside).
  interface Frame { start: number; repeats: boolean; varies: boolean; depth: number }
  const stack: Frame[] = [{ start: 0, repeats: false, varies: false, depth: 0 }];
  let nested: string | undefined;
  let repeatCount = 0;
  let backreference = false;
  // The atom a following quantifier applies to: a group (with whether it repeats inside) or a single item.
  let atom: Frame | undefined;
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (/[1-9k]/.test(pattern[i + 1] ?? '')) backreference = true;
      atom = { start: i, repeats: false, varies: false, depth: 0 };
      i += 2;
    } else if (c === '[') {
      const start = i;
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i++;
      atom = { start, repeats: false, varies: false, depth: 0 };
    } else if (c === '(') {
      stack.push({ start: i, repeats: false, varies: false, depth: 0 });
      atom = undefined;
      i++;
      if (pattern[i] === '?') {
        // (?:  (?=  (?!  (?<=  (?<!  (?<name>
        i++;
        if (pattern[i] === '<' && pattern[i + 1] !== '=' && pattern[i + 1] !== '!') {
          while (i < pattern.length && pattern[i] !== '>') i++;
        } else if (pattern[i] === '<') {
          i++;
        }
        i++;
      }
    } else if (c === ')') {
      const frame = stack.length > 1 ? stack.pop()! : stack[0]!;
      const outer = stack[stack.length - 1]!;
      outer.repeats ||= frame.repeats;
      outer.varies ||= frame.varies;
      outer.depth = Math.max(outer.depth, frame.depth);
      atom = { start: frame.start, repeats: frame.repeats, varies: frame.varies, depth: frame.depth };
      i++;
    } else if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)))) {
      const quantifier = c === '{' ? /^\{\d+(,\d*)?\}/.exec(pattern.slice(i))![0] : c;
      i += quantifier.length;
      if (pattern[i] === '?') i++;
      const top = stack[stack.length - 1]!;
      if (atom && varies(quantifier)) {
        top.varies = true;
        // Repeated a varying number of times, a group whose content varies can split a text many ways.
        if (atom.varies && quantifier !== '?') nested ??= pattern.slice(atom.start, i);
      }
      if (atom && repeats(quantifier)) {
        repeatCount++;
        top.repeats = true;
        top.depth = Math.max(top.depth, atom.depth + 1);
      }
      atom = undefined;
    } else if (c === '|') {
      stack[stack.length - 1]!.varies = true;
      atom = undefined;
      i++;
    } else {
      atom = { start: i, repeats: false, varies: false, depth: 0 };
      i++;
    }
  }
  return { nested, repeats: repeatCount, backreference, depth: stack[0]!.depth };
}

/** The first repeated group of `pattern` that repeats inside, or undefined ({@link repetitionShape}). */
export function nestedRepetition(pattern: string): string | undefined {
  return repetitionShape(pattern).nested;
}

/**
 * Why `pattern` could stall an agent, or undefined. A pattern V8's linear-time engine can run
 * ({@link runsInLinearTime}) is always fine: {@link boundRegexBacktracking} hands a runaway match
 * to that engine. One it cannot run (it has a backreference or a lookaround) is refused when it
 * has two or more repeats ({@link repetitionShape}: nested, `(a+)+`, exponential; side by side,
 * `\w+\s*\w+`, polynomial), or a repeat and a backreference (each attempt compares the text
 * again). Repeats nested three deep are refused even when the linear engine can run them (see
 * MAX_REPEAT_DEPTH). What passes repeats once at most and is at worst quadratic in the body's length.
 */
export function regexHazard(pattern: string, flags: string, key: string): string | undefined {
  const shape = repetitionShape(pattern);
  if (shape.depth >= MAX_REPEAT_DEPTH) {
    return `${key} '${pattern}' nests repeats ${shape.depth} deep (a repeated group inside a repeated group inside another): `
      + 'even V8\'s linear-time engine needs seconds for one event of a few KB when such a pattern matches often; keep at most two levels (e.g. ((a+)+b)* -> (a+b)*)';
  }
  if (runsInLinearTime(pattern, flags)) return undefined;
  const why = shape.nested !== undefined
    ? `repeats '${shape.nested}', a group whose content can match texts of different lengths (each repetition can split the text another way)`
    : shape.repeats >= 2
      ? `has ${shape.repeats} repeats (*, +, {n,}) that can try every split of the text between them`
      : shape.repeats === 1 && shape.backreference ? 'repeats text that a backreference then compares on every attempt' : undefined;
  if (why === undefined) return undefined;
  return `${key} '${pattern}' ${why}, and uses what only a backtracking matcher can do `
    + '(a backreference, lookahead or lookbehind, or a large counted repeat such as {1,50}): an unlucky event could take minutes to match and stall the agent; '
    + 'remove the backreference/lookaround, or keep a single repeat (e.g. (a+)+ -> a+, (.{1,3})+ -> .+)';
}
