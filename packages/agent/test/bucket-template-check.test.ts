import { expect } from 'chai';
import { parseTopology } from '@sluice/config';
import { loadTopology } from '../src/index.js';
import { besideTests, problemsOf } from './helpers.js';


describe('loadTopology with the bucket templates of the hdfs and s3 sinks', () => {
  it('reports a bad hdfs path and a bad s3 key together with an unrelated schema mistake, each with its path', async () => {
    const problems = await problemsOf(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory, keepAlive: soon } }
    sinks:
      h: { type: hdfs, channel: c1, url: "http://namenode:9870", path: "/logs/%Q/%{host}" }
      k: { type: s3, channel: c1, bucket: my-logs, key: "logs/%{host/%Y/" }
`, 'topology.yaml');
    expect(problems.map((p) => `${p.path}: ${p.message}`)).to.have.members([
      '/agents/a1/channels/c1/keepAlive: must be a duration like 30s',
      "/agents/a1/sinks/h/path: bucket template '/logs/%Q/%{host}': unknown escape %Q; use %{header}, %[localhost|IP|FQDN], %% or a date escape such as %Y %m %d %H %M %S",
      "/agents/a1/sinks/k/key: bucket template 'logs/%{host/%Y/': unclosed %{; use %{header}, %[localhost|IP|FQDN], %% or a date escape such as %Y %m %d %H %M %S",
    ]);
  });

  it('reports an hdfs path that would put a colon in a name, as the sink would at start', async () => {
    const problems = await problemsOf(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { h: { type: hdfs, channel: c1, url: "http://namenode:9870", path: "/logs/%Y-%m-%d/%H:%M" } }
`, 'topology.yaml');
    expect(problems.map((p) => p.path)).to.deep.equal(['/agents/a1/sinks/h/path']);
    expect(problems[0]!.message).to.contain("would put ':' in a file or directory name");
  });

  it('accepts hdfs and s3 templates with header, host and date escapes', async () => {
    const { model } = await loadTopology(parseTopology(`
agents:
  a1:
    sources: { r1: { type: seq, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks:
      h: { type: hdfs, channel: c1, url: "http://namenode:9870", path: "/logs/%{log-type}/%Y/%m/%d/%H%M/%{host}-%[localhost]" }
      k: { type: s3, channel: c1, bucket: my-logs, key: "logs/%{tenant}/%Y/%m/%d/%H/100%%/" }
`, besideTests('topology.yaml')));
    expect(model.agents.a1!.sinks.h!.config.path).to.equal('/logs/%{log-type}/%Y/%m/%d/%H%M/%{host}-%[localhost]');
    expect(model.agents.a1!.sinks.k!.config.key).to.equal('logs/%{tenant}/%Y/%m/%d/%H/100%%/');
  });

  it('names the Flume .properties keys hdfs.path and s3.key of bad templates', async () => {
    const problems = await problemsOf([
      'a1.sources = r1', 'a1.channels = c1', 'a1.sinks = k1 k2',
      'a1.sources.r1.type = seq', 'a1.sources.r1.channels = c1', 'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = hdfs', 'a1.sinks.k1.channel = c1', 'a1.sinks.k1.url = http://namenode:9870', 'a1.sinks.k1.hdfs.fileType = DataStream',
      'a1.sinks.k1.hdfs.path = hdfs://namenode:8020/flume/%Y/%[host]',
      'a1.sinks.k2.type = s3', 'a1.sinks.k2.channel = c1', 'a1.sinks.k2.bucket = my-logs', 'a1.sinks.k2.s3.key = logs/%{}/',
    ].join('\n'), 'flume.properties');
    expect(problems.map((p) => `${p.path} (${p.key})`)).to.have.members([
      '/agents/a1/sinks/k1/path (a1.sinks.k1.hdfs.path)',
      '/agents/a1/sinks/k2/key (a1.sinks.k2.s3.key)',
    ]);
  });
});
