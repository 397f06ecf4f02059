#!/usr/bin/env bash
# Installs the test peers without running the tests (npm test does the same before its suites):
# as root with apt-get, the missing ones' Debian packages, then the Kafka mock helper's build.
# Lists every peer and exits 1 if one is still missing. The peers, with their Debian packages,
# are listed once, in packages/testkit/src/peers/test-peers.ts: add new ones there.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run test:peers --silent
