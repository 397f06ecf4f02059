import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

function sluice(...args: string[]) {
  return spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8' });
}

/** The Flume user-guide example (reference/flume.md section 1), shared with the config tests. */
const FLUME_EXAMPLE = readFileSync(new URL('../../packages/config/test/fixtures/flume-user-guide.properties', import.meta.url), 'utf8');

describe('sluice validate', () => {
  const dir = new TempDir();
  after(() => dir.cleanup());

  it('exits 0 and summarises a valid topology', () => {
    const file = dir.write('ok.yaml', 'agents:\n  a1:\n    sources: { r1: { type: seq, channels: [c1] } }\n    channels: { c1: { type: memory } }\n    sinks: { k1: { type: logger, channel: c1 } }\n');
    const result = sluice('validate', '-f', file);
    expect(result.status).to.equal(0);
    expect(result.stdout).to.contain("agent 'a1': 1 sources, 1 channels, 1 sinks");
  });

  it('prints all three mistakes of a topology, each with its path, and exits 1', () => {
    const file = dir.write('bad.yaml', `agents:
  a1:
    sources: { r1: { type: seq, channels: [c9] } }
    channels: { c1: { type: memory, keepAlive: soon } }
    sinks: { k1: { type: file_roll, channel: c1, directory: /tmp/x, rollSize: 12 parsecs } }
`);
    const result = sluice('validate', '-f', file);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('3 problems');
    expect(result.stderr).to.contain("/agents/a1/sources/r1/channels/0: no channel named 'c9'");
    expect(result.stderr).to.contain('/agents/a1/channels/c1/keepAlive: must be a duration like 30s');
    expect(result.stderr).to.contain('/agents/a1/sinks/k1/rollSize: must be a size like 128MiB');
  });

  it('reads the Flume user-guide example without crashing and reports only what Sluice lacks, by component and key', () => {
    const file = dir.write('flume.properties', FLUME_EXAMPLE);
    const result = sluice('validate', '-f', file);
    expect(result.status, result.stderr).to.be.oneOf([0, 1]);
    expect(result.stderr).to.not.match(/unexpected error|at .*\.js:\d+/);
    const problems = result.stderr.split('\n').filter((l) => l.startsWith('  - '));
    expect(problems.length === 0 || result.status === 1).to.equal(true);
    for (const line of problems) expect(line).to.match(/^ {2}- \/agents\/a1\/\S+ \(a1\.[^)]+\): unknown \w+ type '[\w.]+'/);
  });

  it('prints usage for --help and a version for --version', () => {
    expect(sluice('--help').stdout).to.contain('Usage: sluice');
    expect(sluice('--version').stdout).to.match(/^sluice \d+\.\d+\.\d+/);
    expect(sluice('frobnicate').status).to.equal(2);
  });
});
