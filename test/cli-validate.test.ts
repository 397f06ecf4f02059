import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

function sluice(...args: string[]) {
  return spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8' });
}

const FLUME_EXAMPLE = `a1.sources = web
a1.channels = mem file
a1.sinks = fwd1 fwd2 log
a1.sinkgroups = g1
a1.sources.web.type = http
a1.sources.web.port = 8080
a1.sources.web.channels = mem file
a1.sources.web.interceptors = ts
a1.sources.web.interceptors.ts.type = timestamp
a1.sources.web.selector.type = multiplexing
a1.sources.web.selector.header = tier
a1.sources.web.selector.mapping.gold = file
a1.sources.web.selector.default = mem
a1.channels.mem.type = memory
a1.channels.mem.capacity = 10000
a1.channels.mem.transactionCapacity = 1000
a1.channels.file.type = file
a1.channels.file.checkpointDir = /var/lib/flume/ckpt
a1.channels.file.dataDirs = /var/lib/flume/data
a1.sinks.fwd1.type = avro
a1.sinks.fwd1.hostname = c1
a1.sinks.fwd1.port = 4141
a1.sinks.fwd1.channel = file
a1.sinks.fwd2.type = avro
a1.sinks.fwd2.hostname = c2
a1.sinks.fwd2.port = 4141
a1.sinks.fwd2.channel = file
a1.sinkgroups.g1.sinks = fwd1 fwd2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.fwd1 = 10
a1.sinkgroups.g1.processor.priority.fwd2 = 5
a1.sinks.log.type = logger
a1.sinks.log.channel = mem
`;

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
