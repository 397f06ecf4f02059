import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { installCommand, TEST_PEERS } from '../src/index.js';

const DIST_SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
const MOCHA = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');

/**
 * Runs a real mocha, with the global fixtures `.mocharc.json` loads, on a suite that needs kcat,
 * with an empty PATH: kcat looks missing and apt-get is out of reach, as on a machine
 * where the run cannot install.
 */
function runSuiteNeedingKcat(env: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-peers-'));
  try {
    const spec = path.join(dir, 'needs-kcat.test.mjs');
    writeFileSync(spec, [
      `import { requirePeers } from ${JSON.stringify(pathToFileURL(path.join(DIST_SRC, 'index.js')).href)};`,
      "describe('a suite using kcat', function () {",
      "  before(function () { requirePeers(this, 'kcat'); });",
      "  it('one', () => {});",
      "  it('two', () => {});",
      '});',
      "describe('a suite without peers', function () { it('runs', () => {}); });",
    ].join('\n'));
    const result = spawnSync(process.execPath, [MOCHA, '--no-config', '--reporter', 'dot', '--require', path.join(DIST_SRC, 'peers', 'mocha-peers.js'), spec], {
      encoding: 'utf8',
      env: { HOME: os.tmpdir(), PATH: dir, SLUICE_INSTALL_PEERS: '0', ...env },
    });
    return { status: result.status, out: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('test peers', function () {
  this.timeout(20000);

  it('skips a suite whose peer is missing and ends with one line naming the peer and its install command', () => {
    const { status, out } = runSuiteNeedingKcat({});
    expect(status).to.equal(0);
    expect(out).to.match(/1 passing/).and.to.match(/2 pending/);
    const summary = out.split('\n').filter((line) => line.startsWith('Skipped'));
    expect(summary).to.have.length(1);
    expect(summary[0]).to.include('Skipped 1 suites for missing test peers; kcat: ').and.include('apt-get install -y kcat');
  });

  it('fails that suite instead under CI=true, saying how to install the peer', () => {
    const { status, out } = runSuiteNeedingKcat({ CI: 'true' });
    expect(status).to.equal(1);
    expect(out).to.match(/1 passing/).and.to.match(/1 failing/);
    expect(out).to.include('missing test peer kcat; CI=true forbids skipping: install with').and.include('apt-get install -y kcat');
    expect(out).not.to.match(/^Skipped/m);
  });

  it('names every Debian package of several peers in one apt-get command', () => {
    expect(installCommand(['kafka', 'nc'])).to.match(/^(sudo )?apt-get install -y build-essential librdkafka-dev netcat-openbsd$/);
    for (const [name, peer] of Object.entries(TEST_PEERS)) expect(peer.debian, name).to.not.be.empty;
  });
});
