/** One key of a .properties file and the line it was defined on. */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/** A key defined more than once: Java keeps the last definition. */
export interface DuplicateKey {
  key: string;
  /** Lines of every definition, in file order; the last one wins. */
  lines: number[];
}

/** Everything {@link readJavaProperties} found in a file. */
export interface JavaProperties {
  /** One entry per distinct key, in the order of first definition, holding the last value. */
  entries: PropertyEntry[];
  duplicates: DuplicateKey[];
  /** Lines with a malformed `\uXXXX` escape (Java's `Properties.load` refuses the whole file). */
  malformed: { line: number; text: string }[];
}

/**
 * Reads Java `.properties` text exactly as `java.util.Properties.load` does: `key=value`,
 * `key: value` or `key value` (the first unescaped `=`, `:` or whitespace ends the key); `#` and `!`
 * comment lines; a line ending in an odd number of backslashes continues on the next line, whose
 * leading whitespace is dropped; `\t \n \r \f \uXXXX` escapes and `\x` for any other `x`; LF,
 * CRLF or CR line ends. Values keep their trailing whitespace, as in Java (the Flume loader trims).
 */
export function readJavaProperties(text: string): JavaProperties {
  const entries = new Map<string, PropertyEntry>();
  const seen = new Map<string, number[]>();
  const malformed: JavaProperties['malformed'] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let part = lines[i]!.replace(/^[ \t\f]+/, '');
    if (part === '' || part.startsWith('#') || part.startsWith('!')) continue;
    // Parts joined once at the end: re-concatenating a growing line was quadratic in its length.
    const parts: string[] = [];
    while (endsWithContinuation(part) && i + 1 < lines.length) {
      parts.push(part.slice(0, -1));
      part = lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    parts.push(endsWithContinuation(part) ? part.slice(0, -1) : part);
    const logical = parts.join('');
    if (/\\u(?![0-9a-fA-F]{4})/.test(logical.replace(/\\\\/g, ''))) malformed.push({ line: startLine, text: logical });
    const { key, value } = splitKeyValue(logical);
    const previous = entries.get(key);
    if (previous) previous.value = value;
    else entries.set(key, { key, value, line: startLine });
    const at = seen.get(key);
    if (at) at.push(startLine);
    else seen.set(key, [startLine]);
  }
  const duplicates = [...seen].filter(([, at]) => at.length > 1).map(([key, at]) => ({ key, lines: at }));
  return { entries: [...entries.values()], duplicates, malformed };
}

/** The entries of {@link readJavaProperties} alone: a later duplicate key wins, as in Java. */
export function parseJavaProperties(text: string): PropertyEntry[] {
  return readJavaProperties(text).entries;
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function splitKeyValue(line: string): { key: string; value: string } {
  let i = 0;
  let key = '';
  while (i < line.length) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      key += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
    key += c;
    i++;
  }
  while (i < line.length && /[ \t\f]/.test(line[i]!)) i++;
  if (i < line.length && (line[i] === '=' || line[i] === ':')) i++;
  while (i < line.length && /[ \t\f]/.test(line[i]!)) i++;
  return { key: unescape(key), value: unescape(line.slice(i)) };
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) => {
    switch (escaped[0]) {
      case 't': return '\t';
      case 'n': return '\n';
      case 'r': return '\r';
      case 'f': return '\f';
      case 'u': return escaped.length === 5 ? String.fromCharCode(parseInt(escaped.slice(1), 16)) : 'u';
      default: return escaped;
    }
  });
}
