/**
 * Names for a hint ("channels defined: c1, c2, c3"), at most `max` of them: a file with thousands
 * of components must not put all their names in every one of thousands of hints.
 */
export function nameList(names: Iterable<string>, max = 20): string {
  const shown: string[] = [];
  let total = 0;
  for (const name of names) {
    if (total++ < max) shown.push(name.length > 64 ? `${name.slice(0, 64)}...` : name);
  }
  return total > max ? `${shown.join(', ')} and ${total - max} more` : shown.join(', ');
}
