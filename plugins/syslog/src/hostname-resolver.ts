import dns from 'node:dns/promises';

/**
 * Reverse-resolves client addresses for `clientHostnameHeader`, with the system resolver
 * (getnameinfo, so /etc/hosts counts), like Flume's InetAddress.getHostName(). Answers are cached
 * for `ttlMs`; an address that does not resolve maps to itself. One instance per source.
 */
export class HostnameResolver {
  private readonly pending = new Map<string, Promise<string>>();
  private readonly names = new Map<string, { name: string; expires: number }>();

  constructor(private readonly ttlMs = 300_000, private readonly maxEntries = 4096) {}

  /** The cached name of `address`, if it was resolved and has not expired. */
  peek(address: string): string | undefined {
    const hit = this.names.get(address);
    return hit && hit.expires > Date.now() ? hit.name : undefined;
  }

  /** The name of `address` (the address itself when it has none); never rejects. */
  resolve(address: string): Promise<string> {
    const cached = this.peek(address);
    if (cached !== undefined) return Promise.resolve(cached);
    let lookup = this.pending.get(address);
    if (!lookup) {
      lookup = dns.lookupService(address, 0).then((r) => r.hostname, () => address).then((name) => {
        this.pending.delete(address);
        if (this.names.size >= this.maxEntries) this.names.clear();
        this.names.set(address, { name, expires: Date.now() + this.ttlMs });
        return name;
      });
      this.pending.set(address, lookup);
    }
    return lookup;
  }
}
