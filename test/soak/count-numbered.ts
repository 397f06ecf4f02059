import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** How often each numbered body (`<prefix>-<id>`) occurs, per prefix: counts[prefix][id]. */
export type NumberedCounts = Map<string, Uint32Array>;

/**
 * Reads every file of a file_roll `directory` (text serializer: one body per line) and counts the
 * numbered bodies `<prefix>-<id>` of the given prefixes; other lines are ignored.
 */
export function countNumbered(directory: string, prefixes: readonly string[]): NumberedCounts {
  const counts: NumberedCounts = new Map(prefixes.map((p) => [p, new Uint32Array(1024)]));
  if (!existsSync(directory)) return counts;
  const pattern = new RegExp(`^(${prefixes.join('|')})-(\\d+)$`);
  for (const file of readdirSync(directory)) {
    for (const line of readFileSync(path.join(directory, file), 'utf8').split('\n')) {
      const match = pattern.exec(line);
      if (!match) continue;
      const id = Number(match[2]);
      let array = counts.get(match[1]!)!;
      if (id >= array.length) {
        const grown = new Uint32Array(Math.max(array.length * 2, id + 1));
        grown.set(array);
        counts.set(match[1]!, (array = grown));
      }
      array[id]!++;
    }
  }
  return counts;
}

/** How many distinct ids of a prefix were seen at least once. */
export function distinctSeen(counts: Uint32Array | undefined): number {
  let n = 0;
  if (counts) for (const c of counts) if (c > 0) n++;
  return n;
}
