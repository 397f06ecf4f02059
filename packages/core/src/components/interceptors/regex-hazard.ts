import v8 from 'node:v8';

let bounded = false;

/**
 * Makes catastrophic backtracking impossible for the patterns V8's linear-time engine can run:
 * once a match has backtracked 50,000 times, V8 finishes it on that engine (same result, time
 * proportional to input length times pattern size) instead of backtracking exponentially. Sets
 * two V8 flags for the whole process, once; they only change how long a runaway match takes
 * (and let `l`, the linear-engine flag, be used to ask whether a pattern qualifies). Called before
 * any configured pattern is compiled or checked.
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

/** A quantifier repeats its atom many times: `*`, `+`, `{n,}`, or `{n,m}` with m of 10 or more. */
function repeats(quantifier: string): boolean {
  if (quantifier === '*' || quantifier === '+') return true;
  const counted = /^\{(\d+)(,(\d*))?\}$/.exec(quantifier);
  if (!counted || counted[2] === undefined) return false;
  return counted[3] === '' || Number(counted[3]) >= 10;
}

/**
 * Finds a repeated group that itself contains a repetition (`(a+)+`, `(?:\w+\s?)*`, `((x*)y){2,}`),
 * the shape of exponential backtracking, and returns it; undefined when there is none. A syntax
 * scan, not a proof: it also flags nestings that cannot backtrack badly (`(?:,\d+)*` inside
 * another repeat), which is why it only matters for patterns the linear engine cannot take over.
 */
export function nestedRepetition(pattern: string): string | undefined {
  interface Frame { start: number; repeats: boolean }
  const stack: Frame[] = [{ start: 0, repeats: false }];
  // The atom a following quantifier applies to: a group (with whether it repeats inside) or a single item.
  let atom: { start: number; repeats: boolean } | undefined;
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    if (c === '\\') {
      atom = { start: i, repeats: false };
      i += 2;
    } else if (c === '[') {
      const start = i;
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i++;
      atom = { start, repeats: false };
    } else if (c === '(') {
      stack.push({ start: i, repeats: false });
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
      stack[stack.length - 1]!.repeats ||= frame.repeats;
      atom = { start: frame.start, repeats: frame.repeats };
      i++;
    } else if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)))) {
      const quantifier = c === '{' ? /^\{\d+(,\d*)?\}/.exec(pattern.slice(i))![0] : c;
      i += quantifier.length;
      if (pattern[i] === '?') i++;
      if (atom && repeats(quantifier)) {
        if (atom.repeats) return pattern.slice(atom.start, i);
        stack[stack.length - 1]!.repeats = true;
      }
      atom = undefined;
    } else {
      atom = { start: i, repeats: false };
      i++;
    }
  }
  return undefined;
}

/**
 * Why `pattern` could stall an agent, or undefined: it cannot run on V8's linear-time engine
 * ({@link runsInLinearTime}) and repeats a group that repeats inside ({@link nestedRepetition}),
 * so one unlucky event could backtrack for minutes with nothing to stop it. Pure apart from
 * {@link boundRegexBacktracking}.
 */
export function regexHazard(pattern: string, flags: string, key: string): string | undefined {
  if (runsInLinearTime(pattern, flags)) return undefined;
  const nested = nestedRepetition(pattern);
  if (nested === undefined) return undefined;
  return `${key} '${pattern}' repeats '${nested}', a group that repeats inside, and uses what only a backtracking matcher can do `
    + '(a backreference, lookahead or lookbehind, or a large counted repeat such as {1,50}): an unlucky event could take minutes to match and stall the agent; '
    + 'remove the nesting (e.g. (a+)+ -> a+) or the backreference/lookaround';
}
