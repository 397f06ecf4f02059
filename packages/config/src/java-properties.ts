/** One key of a .properties file and the line it was defined on. */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/**
 * Parses Java `.properties` text: `key=value`, `key: value` or `key value`; `#`/`!` comments;
 * backslash line continuation; `\t \n \r \f \uXXXX` escapes. A later duplicate key wins, as in Java.
 */
export function parseJavaProperties(text: string): PropertyEntry[] {
  const entries = new Map<string, PropertyEntry>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1);
    const { key, value } = splitKeyValue(logical);
    entries.set(key, { key, value, line: startLine });
  }
  return [...entries.values()];
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
