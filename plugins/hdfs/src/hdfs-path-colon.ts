/**
 * Why HDFS would refuse the names an hdfs sink `path` template renders, or undefined: a ':'
 * outside an escape, or `%c` (whose time contains ':'). HDFS rejects ':' in a path component, so
 * without this the first write would fail. Pure; used by the sink's constructor and its `check`.
 */
export function hdfsPathColonError(path: string): string | undefined {
  const literal = path.replace(/%\{[^}]*\}|%\[[^\]]*\]|%[^c]/g, '');
  if (!literal.includes(':') && !literal.includes('%c')) return undefined;
  return `path '${path}' would put ':' in a file or directory name, which HDFS refuses; use %H%M or %H-%M instead of %H:%M or %c`;
}
