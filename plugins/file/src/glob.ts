import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const MAGIC = /[*?[{]/;

/**
 * Translates one path segment of a glob (`*`, `?`, `[abc]`, `[!abc]`, `{a,b}`) into an anchored
 * regular expression. `*` and `?` never match `/`; a leading dot is matched only explicitly.
 */
export function segmentToRegExp(segment: string): RegExp {
  let out = '';
  let braces = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) {
      out += escapeChar(segment[++i]!);
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) {
      out += '|';
    } else {
      out += escapeChar(c);
    }
  }
  const hidden = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${hidden}${out}$`);
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** True when the text contains glob wildcards. */
export function hasMagic(text: string): boolean {
  return MAGIC.test(text);
}

/** The deepest directory of an absolute glob that has no wildcard (the one to watch). */
export function globBase(pattern: string): string {
  const parts = path.resolve(pattern).split('/');
  const literal: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (hasMagic(part)) break;
    literal.push(part);
  }
  return literal.join('/') || '/';
}

/**
 * Lists the regular files matching an absolute glob, sorted by path. Wildcards may appear in any
 * segment (not `**`). Directories that do not exist (yet) simply match nothing.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const absolute = path.resolve(pattern);
  const segments = absolute.split('/').slice(1);
  let candidates = ['/'];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    const next: string[] = [];
    if (!hasMagic(segment)) {
      for (const dir of candidates) next.push(path.join(dir, segment.replace(/\\(.)/g, '$1')));
    } else {
      const regex = segmentToRegExp(segment);
      for (const dir of candidates) {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch {
          continue;
        }
        for (const entry of entries) {
          if (!regex.test(entry.name)) continue;
          if (!last && !entry.isDirectory() && !entry.isSymbolicLink()) continue;
          next.push(path.join(dir, entry.name));
        }
      }
    }
    candidates = next;
    if (candidates.length === 0) return [];
  }
  const files: string[] = [];
  for (const candidate of candidates) {
    try {
      if ((await stat(candidate)).isFile()) files.push(candidate);
    } catch {
      // vanished between listing and stat, or does not exist
    }
  }
  return files.sort();
}

/**
 * Best-effort translation of a Flume taildir file group (`/dir/<regex on the file name>`) into a
 * glob: `.*` -> `*`, `.+` -> `?*`, `\.` -> `.`, `.` -> `?`. Other regex syntax is kept as is.
 */
export function flumeRegexToGlob(value: string): string {
  const dir = path.dirname(value);
  const name = path.basename(value);
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    const n = name[i + 1];
    if (c === '\\' && n !== undefined) {
      out += n;
      i++;
    } else if (c === '.' && n === '*') {
      out += '*';
      i++;
    } else if (c === '.' && n === '+') {
      out += '?*';
      i++;
    } else if (c === '.') {
      out += '?';
    } else if (c === '^' || c === '$') {
      // anchors are implicit in a glob
    } else {
      out += c;
    }
  }
  return path.join(dir, out);
}
