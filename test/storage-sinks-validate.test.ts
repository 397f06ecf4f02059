import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

function sluice(...args: string[]) {
  return spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8' });
}

describe('sluice validate with the hdfs and s3 sinks', function () {
  this.timeout(30000);
  const dir = new TempDir();
  after(() => dir.cleanup());

  it('accepts a topology using both (first-party types, no plugins list) and a Flume hdfs sink', () => {
    const yaml = dir.write('ok.yaml', `
agents:
  a:
    sources: { s: { type: seq, channels: [m] } }
    channels: { m: { type: memory } }
    sinks:
      h: { type: hdfs, channel: m, url: "http://namenode:9870", path: "/logs/%Y/%m/%d/%{host}", roll: { interval: 5m, size: 128MiB } }
      k: { type: s3, channel: m, bucket: my-logs, key: "logs/%Y/%m/%d/", serializer: avro_event, compression: gzip }
`);
    const ok = sluice('validate', '-f', yaml);
    expect(ok.status, ok.stderr + ok.stdout).to.equal(0);
    const flume = dir.write('flume.properties', [
      'a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1',
      'a1.sources.r1.type = seq', 'a1.sources.r1.channels = c1', 'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = hdfs', 'a1.sinks.k1.channel = c1', 'a1.sinks.k1.url = http://namenode:9870',
      'a1.sinks.k1.hdfs.path = hdfs://namenode:8020/flume/%Y/%m/%d', 'a1.sinks.k1.hdfs.rollInterval = 300',
      'a1.sinks.k1.hdfs.rollSize = 134217728', 'a1.sinks.k1.hdfs.rollCount = 0', 'a1.sinks.k1.hdfs.fileType = DataStream',
    ].join('\n'));
    const res = sluice('validate', '-f', flume, '-n', 'a1');
    expect(res.status, res.stderr + res.stdout).to.equal(0);
  });

  it('reports every bad option with its path, including inside roll', () => {
    const yaml = dir.write('bad.yaml', `
agents:
  a:
    sources: { s: { type: seq, channels: [m] } }
    channels: { m: { type: memory } }
    sinks:
      h: { type: hdfs, channel: m, url: "namenode:9870", path: "logs", roll: { size: 12 parsecs } }
      k: { type: s3, channel: m, bucket: my-logs, serializer: parquet }
`);
    const res = sluice('validate', '-f', yaml);
    expect(res.status).to.not.equal(0);
    const out = res.stderr + res.stdout;
    for (const path of ['/agents/a/sinks/h/url', '/agents/a/sinks/h/path', '/agents/a/sinks/h/roll/size', '/agents/a/sinks/k/serializer']) expect(out).to.contain(path);
  });

  it('exits 1 on bad path and key templates, printing each with its path, and 0 on templates with header escapes', () => {
    const bad = dir.write('bad-template.yaml', `
agents:
  a:
    sources: { s: { type: seq, channels: [m] } }
    channels: { m: { type: memory } }
    sinks:
      h: { type: hdfs, channel: m, url: "http://namenode:9870", path: "/logs/%Q/%d" }
      k: { type: s3, channel: m, bucket: my-logs, key: "logs/%{host/" }
`);
    const res = sluice('validate', '-f', bad);
    expect(res.status, res.stderr + res.stdout).to.equal(1);
    expect(res.stderr).to.contain('2 problems');
    expect(res.stderr).to.contain("/agents/a/sinks/h/path: bucket template '/logs/%Q/%d': unknown escape %Q");
    expect(res.stderr).to.contain("/agents/a/sinks/k/key: bucket template 'logs/%{host/': unclosed %{");
    const good = dir.write('good-template.yaml', `
agents:
  a:
    sources: { s: { type: seq, channels: [m] } }
    channels: { m: { type: memory } }
    sinks:
      h: { type: hdfs, channel: m, url: "http://namenode:9870", path: "/logs/%{log-type}/%Y/%m/%d/%{host}" }
      k: { type: s3, channel: m, bucket: my-logs, key: "logs/%{tenant}/%Y/%m/%d/%H/" }
`);
    const ok = sluice('validate', '-f', good);
    expect(ok.status, ok.stderr + ok.stdout).to.equal(0);
  });

  it('names the Flume key of a bad hdfs.path template', () => {
    const flume = dir.write('bad-template.properties', [
      'a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1',
      'a1.sources.r1.type = seq', 'a1.sources.r1.channels = c1', 'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = hdfs', 'a1.sinks.k1.channel = c1', 'a1.sinks.k1.url = http://namenode:9870',
      'a1.sinks.k1.hdfs.path = hdfs://namenode:8020/flume/%Y/%Q',
    ].join('\n'));
    const res = sluice('validate', '-f', flume, '-n', 'a1');
    expect(res.status, res.stderr + res.stdout).to.equal(1);
    expect(res.stderr).to.contain("/agents/a1/sinks/k1/path (a1.sinks.k1.hdfs.path): bucket template '/flume/%Y/%Q': unknown escape %Q");
  });
});
