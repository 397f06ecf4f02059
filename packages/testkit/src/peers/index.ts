export * from './find-command.js';
export * from './test-peer.js';
export * from './test-peers.js';
export * from './require-peers.js';
export { peerAvailable, peersRequired, installCommand, skipSummary } from './peer-status.js';
export { preparePeers, canInstallPeers } from './install-peers.js';
