#!/usr/bin/env node
import { canInstallPeers, preparePeers } from './install-peers.js';
import { installCommand, peerAvailable } from './peer-status.js';
import { TEST_PEERS, type TestPeerName } from './test-peers.js';

/**
 * `node packages/testkit/dist/src/peers/peers-command.js`: installs what it can (as `npm test`
 * does before its suites), then lists every test peer as present or missing, with the command
 * that installs the missing ones. Exits 1 when one is still missing.
 */
await preparePeers();
const names = Object.keys(TEST_PEERS) as TestPeerName[];
for (const name of names) console.log(`${peerAvailable(name) ? 'present' : 'MISSING'}  ${name.padEnd(11)} ${TEST_PEERS[name].description}`);
const missing = names.filter((name) => !peerAvailable(name));
if (missing.length > 0) {
  console.log(`\nInstall the missing ones with: ${installCommand(missing)}${canInstallPeers() ? '' : ' (or run this as root)'}`);
  process.exitCode = 1;
}
