/** One key and its value, as the index holds them. */
export interface KeyedValue {
  key: string;
  value: string;
}

/** Dotted prefixes indexed per key (`a1.`, `a1.sinks.`, `a1.sinks.k1.`, `a1.sinks.k1.hdfs.`). */
const INDEXED_DOTS = 4;

/**
 * The keys of a Flume file (or of one component) by their dotted prefixes, so that finding the
 * keys of one component among thousands costs the size of the answer rather than a scan of the
 * file: translating a file with many components stays linear. Prefixes with more dots than are
 * indexed fall back to a scan.
 */
export class KeyPrefixIndex<T extends KeyedValue> {
  private readonly byPrefix = new Map<string, T[]>();

  constructor(private readonly entries: readonly T[]) {
    for (const entry of entries) {
      let dot = -1;
      for (let n = 0; n < INDEXED_DOTS; n++) {
        dot = entry.key.indexOf('.', dot + 1);
        if (dot < 0) break;
        const prefix = entry.key.slice(0, dot + 1);
        const list = this.byPrefix.get(prefix);
        if (list) list.push(entry);
        else this.byPrefix.set(prefix, [entry]);
      }
    }
  }

  /** Entries whose key starts with `prefix` (which ends with a dot), in file order. */
  under(prefix: string): readonly T[] {
    let dots = 0;
    for (let i = prefix.indexOf('.'); i >= 0 && dots <= INDEXED_DOTS; i = prefix.indexOf('.', i + 1)) dots++;
    if (dots <= INDEXED_DOTS && prefix.endsWith('.')) return this.byPrefix.get(prefix) ?? [];
    return this.entries.filter((e) => e.key.startsWith(prefix));
  }

  /** The keys under `prefix` with the prefix cut off, and their values. */
  subset(prefix: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { key, value } of this.under(prefix)) out[key.slice(prefix.length)] = value;
    return out;
  }

  /**
   * Names configured under `prefix` (`a1.sinks.`: the `k9` of `a1.sinks.k9.type`) that are not
   * `listed`: what Flume ignores.
   */
  orphans(prefix: string, listed: ReadonlySet<string>): string[] {
    const found = new Set<string>();
    for (const { key } of this.under(prefix)) {
      const rest = key.slice(prefix.length);
      const name = rest.split('.', 1)[0]!;
      if (!listed.has(name) && rest.includes('.')) found.add(name);
    }
    return [...found];
  }
}
