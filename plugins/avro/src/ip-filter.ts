import { promises as dnsPromises } from 'node:dns';
import { SluiceError } from '@sluice/core';

/** One rule of Flume's `ipFilterRules`: `allow|deny:ip|name:<pattern>`. */
export interface IpFilterRule {
  allow: boolean;
  kind: 'ip' | 'name';
  pattern: RegExp;
  /** The rule as written, for logs. */
  text: string;
}

/**
 * Parses Flume's `ipFilterRules` (comma-separated `allow:ip:127.*`, `deny:name:*.example.com`;
 * `*` matches any run of characters, `?` one character). Throws SLUICE_CONFIG_INVALID naming the
 * bad rule.
 */
export function parseIpFilterRules(text: string): IpFilterRule[] {
  const parsed = parseRules(text);
  if ('error' in parsed) throw new SluiceError('SLUICE_CONFIG_INVALID', parsed.error);
  return parsed.rules;
}

/**
 * Why `text` is not a valid `ipFilterRules` value, or undefined: the message
 * {@link parseIpFilterRules} throws, from the same parser. Pure (no DNS), for the source's `check`.
 */
export function ipFilterRulesError(text: string): string | undefined {
  const parsed = parseRules(text);
  return 'error' in parsed ? parsed.error : undefined;
}

function parseRules(text: string): { rules: IpFilterRule[] } | { error: string } {
  const rules: IpFilterRule[] = [];
  for (const raw of text.split(',')) {
    const rule = raw.trim();
    if (rule === '') continue;
    const match = /^(allow|deny):(ip|name):(.+)$/.exec(rule);
    if (!match) {
      return { error: `ipFilterRules entry '${rule}' should look like allow:ip:10.* or deny:name:*.example.com (<allow|deny>:<ip|name>:<pattern>)` };
    }
    const pattern = match[3]!.trim();
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    rules.push({ allow: match[1] === 'allow', kind: match[2] as 'ip' | 'name', pattern: new RegExp(`^${source}$`, 'i'), text: rule });
  }
  return { rules };
}

/** Strips the IPv4-mapped IPv6 prefix so `127.*` matches a dual-stack socket's address. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const LOOPBACK = /^(127\.|::1$)/;
/** Reverse lookups give up after 2 s so a slow DNS cannot hold connections open. */
const resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });

/**
 * Decides whether a peer may connect: the first rule whose pattern matches wins; no match allows
 * (Netty's IpFilterRuleHandler). `name` rules match the reverse-DNS names of the address (and
 * `localhost` for loopback addresses); a failed lookup matches no name rule.
 */
export async function isAllowed(rules: readonly IpFilterRule[], remoteAddress: string): Promise<boolean> {
  const ip = normalizeAddress(remoteAddress);
  let names: string[] | undefined;
  for (const rule of rules) {
    if (rule.kind === 'ip') {
      if (rule.pattern.test(ip)) return rule.allow;
      continue;
    }
    names ??= await reverseNames(ip);
    if (names.some((name) => rule.pattern.test(name))) return rule.allow;
  }
  return true;
}

async function reverseNames(ip: string): Promise<string[]> {
  const names = LOOPBACK.test(ip) ? ['localhost'] : [];
  try {
    names.push(...(await resolver.reverse(ip)));
  } catch {
    // no PTR record: only the loopback alias applies
  }
  return names;
}
