import { TEST_PEERS, type TestPeerName } from './test-peers.js';

/** What this test process knows about the peers; kept on globalThis so every copy of the module shares it. */
interface PeerState {
  readonly available: Map<string, boolean>;
  /** Why a detected peer is unusable anyway (its build step failed). */
  readonly broken: Map<string, string>;
  /** Per missing peer: the suites skipped for it and how many tests they held. */
  readonly skipped: Map<string, { suites: Set<string>; tests: number }>;
}

const KEY = Symbol.for('sluice.testkit.peerState');
const state: PeerState = ((globalThis as Record<symbol, PeerState | undefined>)[KEY] ??= { available: new Map(), broken: new Map(), skipped: new Map() });

/** Whether the peer is usable here (detected once per process, then cached). */
export function peerAvailable(name: TestPeerName): boolean {
  let known = state.available.get(name);
  if (known === undefined) {
    known = TEST_PEERS[name].detect();
    state.available.set(name, known);
  }
  return known && !state.broken.has(name);
}

/** Forgets what detection found, so the next {@link peerAvailable} looks again (after an install). */
export function forgetDetection(): void {
  state.available.clear();
}

/** Marks a detected peer unusable, with the reason shown to the user. */
export function markPeerBroken(name: TestPeerName, reason: string): void {
  state.broken.set(name, reason);
}

/** Records that a suite (or test) of `tests` tests was skipped for lack of these peers. */
export function recordSkip(names: readonly TestPeerName[], suite: string, tests: number): void {
  for (const name of names) {
    const entry = state.skipped.get(name) ?? { suites: new Set<string>(), tests: 0 };
    if (!entry.suites.has(suite)) entry.tests += tests;
    entry.suites.add(suite);
    state.skipped.set(name, entry);
  }
}

/** True when CI=true (or any value but 0/false): then a missing peer fails the run instead of skipping. */
export function peersRequired(): boolean {
  const ci = process.env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** The command that installs the peers (Debian packages in one apt-get, then any custom installs). */
export function installCommand(names: readonly TestPeerName[]): string {
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  const packages = [...new Set(names.flatMap((n) => ('install' in TEST_PEERS[n] ? [] : TEST_PEERS[n].debian)))];
  const commands = packages.length > 0 ? [`${sudo}apt-get install -y ${packages.join(' ')}`] : [];
  for (const name of names) {
    const peer = TEST_PEERS[name] as { install?: string };
    if (peer.install) commands.push(`${sudo}${peer.install}`);
  }
  return commands.join(' && ');
}

/** What is missing about a peer, for messages: its description, and the build failure if any. */
export function describeMissing(name: TestPeerName): string {
  const broken = state.broken.get(name);
  return broken ? `${name} (${broken})` : name;
}

/**
 * The one line printed at the end of a run that skipped suites: each missing peer with the command
 * that installs it, and the tests skipped for it. Undefined when nothing was skipped.
 */
export function skipSummary(): string | undefined {
  if (state.skipped.size === 0) return undefined;
  const names = [...state.skipped.keys()] as TestPeerName[];
  const suites = new Set([...state.skipped.values()].flatMap((e) => [...e.suites]));
  const parts = names.map((n) => `${describeMissing(n)}: ${installCommand([n])}`);
  return `Skipped ${suites.size} suites for missing test peers; ${parts.join('; ')}. All at once: ${installCommand(names)} (or run npm test as root).`;
}
