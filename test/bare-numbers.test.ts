import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, SLUICE_BIN, TempDir } from './helpers/agent-process.js';

/** Durations and sizes take a bare number where Flume takes one, in Flume's unit for that option. */
describe('bare numbers in duration and size options', function () {
  this.timeout(30000);
  const dir = new TempDir();
  after(() => dir.cleanup());

  it('validates rollInterval: 0, keepAlive: 3, byteCapacity: 1048576, rollSize: "1024" and still refuses words', () => {
    const ok = dir.write('ok.yaml', `agents:
  a1:
    sources: { r1: { type: seq, count: 10, channels: [c1] } }
    channels: { c1: { type: memory, keepAlive: 3, byteCapacity: 1048576 } }
    sinks: { k1: { type: file_roll, channel: c1, directory: ./out, rollInterval: 0, rollSize: '1024' } }
`);
    const good = spawnSync(process.execPath, [SLUICE_BIN, 'validate', '-f', ok], { encoding: 'utf8' });
    expect(good.status, good.stderr).to.equal(0);
    const bad = dir.write('bad.yaml', `agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory, keepAlive: soon, byteCapacity: -5 } }
    sinks: { k1: { type: file_roll, channel: c1, directory: ./out, rollInterval: 5 minutes } }
`);
    const refused = spawnSync(process.execPath, [SLUICE_BIN, 'validate', '-f', bad], { encoding: 'utf8' });
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.contain('/agents/a1/channels/c1/keepAlive: must be a duration like 30s');
    expect(refused.stderr).to.contain('/agents/a1/channels/c1/byteCapacity');
    expect(refused.stderr).to.contain('/agents/a1/sinks/k1/rollInterval: must be a duration like 30s');
  });

  it('a Flume .properties file with netcat encoding, a syslog keepFields list and bare numbers validates; an unknown keepFields word does not', () => {
    const properties = (keepFields: string): string => [
      'a1.sources = r1 r2', 'a1.channels = c1', 'a1.sinks = k1',
      'a1.sources.r1.type = netcat', 'a1.sources.r1.bind = 127.0.0.1', 'a1.sources.r1.port = 44444', 'a1.sources.r1.encoding = UTF-16LE',
      'a1.sources.r1.max-line-length = 10', 'a1.sources.r1.channels = c1',
      'a1.sources.r2.type = syslogtcp', 'a1.sources.r2.host = 127.0.0.1', 'a1.sources.r2.port = 5140', `a1.sources.r2.keepFields = ${keepFields}`, 'a1.sources.r2.channels = c1',
      'a1.channels.c1.type = memory', 'a1.channels.c1.byteCapacity = 1048576',
      'a1.sinks.k1.type = file_roll', 'a1.sinks.k1.sink.directory = ./out', 'a1.sinks.k1.sink.rollInterval = 0', 'a1.sinks.k1.channel = c1', '',
    ].join('\n');
    const good = spawnSync(process.execPath, [SLUICE_BIN, 'validate', '-f', dir.write('flume.properties', properties('hostname timestamp'))], { encoding: 'utf8' });
    expect(good.status, good.stderr).to.equal(0);
    const bad = spawnSync(process.execPath, [SLUICE_BIN, 'validate', '-f', dir.write('flume-bad.properties', properties('hostname bogus'))], { encoding: 'utf8' });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('keepFields');
  });

  it('a bare rollInterval is seconds, as in Flume: rollInterval: 1 does not roll per 1 ms batch', async () => {
    const file = dir.write('one-file.yaml', `agents:
  a1:
    sources: { r1: { type: seq, count: 2000, batchSize: 100, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { k1: { type: file_roll, channel: c1, directory: ./one, rollInterval: 1, batchSize: 100 } }
`);
    const agent = AgentProcess.start(file, 'a1');
    try {
      await agent.started();
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      await agent.stop();
    }
    const files = readdirSync(path.join(dir.path, 'one'));
    // Read as milliseconds it would start a new file for nearly every one of the 20 batches.
    expect(files.length).to.be.within(1, 2);
  });
});
