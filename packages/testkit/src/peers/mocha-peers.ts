import { preparePeers } from './install-peers.js';
import { skipSummary } from './peer-status.js';

/**
 * Mocha global fixtures, loaded through `.mocharc.json`'s `require`: before any suite, install the
 * missing test peers when the run may (root with apt) and build their helpers; after the run,
 * print the one-line summary of suites skipped for missing peers.
 */
export async function mochaGlobalSetup(): Promise<void> {
  await preparePeers();
}

export function mochaGlobalTeardown(): void {
  const summary = skipSummary();
  if (summary) console.log(`\n${summary}`);
}
