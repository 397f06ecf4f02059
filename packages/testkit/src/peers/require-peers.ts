import { describeMissing, installCommand, peerAvailable, peersRequired, recordSkip } from './peer-status.js';
import type { TestPeerName } from './test-peers.js';

/**
 * Guards a suite (call it first in the describe's `before`) or a single test (first line of the
 * `it`) that uses real peers: when one is missing, the suite is skipped and the run's last line
 * says how to install it; with CI=true it throws instead, so a CI run never passes by skipping.
 * Needs a `function () {}` hook or test, not an arrow function, to get mocha's context.
 */
export function requirePeers(context: Mocha.Context, ...names: TestPeerName[]): void {
  const missing = names.filter((name) => !peerAvailable(name));
  if (missing.length === 0) return;
  if (peersRequired()) {
    throw new Error(`missing test peer${missing.length > 1 ? 's' : ''} ${missing.map(describeMissing).join(', ')}; CI=true forbids skipping: install with ${installCommand(missing)}`);
  }
  const runnable = context.test;
  const suite = (runnable as { type?: string } | undefined)?.type === 'hook' ? runnable?.parent : undefined;
  recordSkip(missing, suite?.fullTitle() ?? runnable?.fullTitle() ?? '?', suite ? suite.total() : 1);
  context.skip();
}
