/**
 * The open files/objects of a bucketing sink, keyed by rendered path, in least-recently-used
 * order. `touch` on every write keeps the order; when more than `maxOpen` are open, `overflow`
 * names the least recently used ones to close first (Flume maxOpenFiles).
 */
export class OpenBuckets<T> {
  private readonly map = new Map<string, T>();

  constructor(readonly maxOpen: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  /** Adds or refreshes an entry as the most recently used. */
  touch(key: string, value: T): void {
    this.map.delete(key);
    this.map.set(key, value);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Entries beyond `maxOpen`, least recently used first, excluding `keep`. */
  overflow(keep?: ReadonlySet<string>): [string, T][] {
    const excess = this.map.size - this.maxOpen;
    if (this.maxOpen <= 0 || excess <= 0) return [];
    const out: [string, T][] = [];
    for (const entry of this.map) {
      if (out.length >= excess) break;
      if (!keep?.has(entry[0])) out.push(entry);
    }
    return out;
  }

  /** Every entry, least recently used first. */
  entries(): [string, T][] {
    return [...this.map];
  }
}
