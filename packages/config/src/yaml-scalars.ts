import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import { pointer, type Problem } from './problem.js';

/**
 * One YAML scalar whose meaning may not be what its author meant: an unquoted `null`, `~` or empty
 * value (null), an unquoted word YAML made a boolean or number, a quoted number or boolean (text),
 * or an unquoted yes/no/on/off that YAML 1.2 keeps as text though YAML 1.1 made it a boolean.
 */
export interface YamlScalarNote {
  /** The scalar as written, without quotes (`null`, `~`, `` for an empty value, `5140`). */
  source: string;
  quoted: boolean;
  /** What YAML made of it. */
  value: unknown;
  /** 1-based line of the scalar. */
  line: number;
  /** The document's YAML version (`%YAML 1.1` switches yes/no/on/off to booleans). */
  version: string;
}

const YAML11_BOOLEAN = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const LOOKS_TYPED = /^(true|false|True|False|TRUE|FALSE|null|~|-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+)$/;

/**
 * Finds, by JSON pointer, the scalars of a parsed topology worth explaining when validation
 * rejects their value. Called by parseTopology on YAML files; the result rides on the RawTopology
 * until validateTopology uses it through {@link explainYamlScalars}.
 */
export function noteYamlScalars(document: Document, lines: LineCounter): Map<string, YamlScalarNote> {
  const notes = new Map<string, YamlScalarNote>();
  const version = document.directives?.yaml.version ?? '1.2';
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (pair.value === null || pair.value === undefined) {
          // `key:` with nothing after it: no node at all, but the same null.
          const offset = (pair.key as Node).range?.[1] ?? 0;
          notes.set(pointer(...path, key), { source: '', quoted: false, value: null, line: lines.linePos(offset).line, version });
        } else visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    } else if (isScalar(node)) {
      const source = node.source ?? String(node.value);
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      const interesting = quoted ? LOOKS_TYPED.test(source) || YAML11_BOOLEAN.test(source) : typeof node.value !== 'string' || YAML11_BOOLEAN.test(source);
      if (interesting) notes.set(pointer(...path), { source, quoted, value: node.value, line: lines.linePos(node.range?.[0] ?? 0).line, version });
    }
  };
  visit(document.contents, []);
  return notes;
}

/** The JSON type words ajv and the validator use in "must be ..." messages. */
const TYPE_MISMATCH = /^must be (a |an )?(string|integer|number|boolean|mapping|list|array|object)\b/;

/**
 * Rewrites the problems found at a noted scalar so they say what YAML did with it and how to write
 * what was meant: `type: null` is YAML's null, `port: "5140"` is text, `value: true` a boolean.
 * Problems elsewhere, or not about the value's type, are returned as they are.
 */
export function explainYamlScalars(problems: Problem[], notes: ReadonlyMap<string, YamlScalarNote> | undefined): Problem[] {
  if (!notes || notes.size === 0) return problems;
  return problems.map((problem) => {
    const note = notes.get(problem.path);
    if (!note) return problem;
    const isType = problem.path.endsWith('/type');
    if (note.value === null) return explainNull(problem, note, isType);
    const mismatch = TYPE_MISMATCH.exec(problem.message);
    if (!mismatch) return problem;
    // Explain only what quoting changes: text where a number or boolean is wanted, or the reverse.
    const expected = mismatch[2]!;
    const wantsScalar = expected === 'integer' || expected === 'number' || expected === 'boolean';
    if (note.quoted ? !wantsScalar : typeof note.value === 'string' ? expected !== 'boolean' : expected !== 'string') return problem;
    const key = keyOf(problem.path);
    const at = `line ${note.line}`;
    if (note.quoted && YAML11_BOOLEAN.test(note.source)) {
      return { ...problem, message: `${problem.message}: "${note.source}" is text in YAML (${at})`, hint: `write ${key}: ${/^(y|yes|on)$/i.test(note.source)}` };
    }
    if (note.quoted) {
      return { ...problem, message: `${problem.message}: the quotes make YAML read "${note.source}" as text (${at})`, hint: `drop the quotes: ${key}: ${note.source}` };
    }
    if (typeof note.value === 'string') {
      // An unquoted yes/no/on/off where a boolean is expected: YAML 1.2 keeps it as text.
      const meant = /^(y|yes|on)$/i.test(note.source);
      return { ...problem, message: `${problem.message}: YAML 1.2 reads the unquoted ${note.source} as the text "${note.source}", not a boolean as YAML 1.1 did (${at})`, hint: `write ${key}: ${meant}` };
    }
    const what = typeof note.value === 'boolean' ? `the boolean ${note.value}` : `the number ${String(note.value)}`;
    const why = typeof note.value === 'boolean' && note.version === '1.1' && YAML11_BOOLEAN.test(note.source) ? ', as YAML 1.1 (this file\'s %YAML 1.1) does with yes/no/on/off' : '';
    return { ...problem, message: `${problem.message}: YAML read the unquoted ${note.source} as ${what}${why} (${at})`, hint: `quote it to keep the text: ${key}: "${note.source}"` };
  });
}

function explainNull(problem: Problem, note: YamlScalarNote, isType: boolean): Problem {
  const key = keyOf(problem.path);
  const written = note.source === '' ? 'the empty value' : `the unquoted ${note.source}`;
  const message = `${problem.message}: YAML read ${written} as null (no value), not as text (line ${note.line})`;
  if (isType) {
    return { ...problem, message, hint: `to use the type named null, quote it: type: "null"${problem.hint ? `; ${problem.hint}` : ''}` };
  }
  return { ...problem, message, hint: note.source === '' || note.source === '~' ? `write a value after ${key}:, or remove the line` : `quote it to mean the text: ${key}: "${note.source}"` };
}

/** The last segment of a JSON pointer, as a YAML key (unescaped). */
function keyOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~');
}
