import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { requirePeers } from '@sluice/testkit';

const run = promisify(execFile);

/**
 * A real `sluice agent` process loads the first-party syslog and http plugins from the topology's
 * types alone, and takes events from util-linux logger (TCP and UDP) and curl into file_roll.
 */
describe('sluice agent with syslog and http sources (logger, curl)', function () {
  before(function () { requirePeers(this, 'logger', 'curl'); });
  this.timeout(30000);
  let dir: TempDir | undefined;
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    dir?.cleanup();
    dir = undefined;
  });

  const lines = (sub: string): string[] => {
    const at = path.join(dir!.path, sub);
    return existsSync(at) ? readdirSync(at).flatMap((f) => readFileSync(path.join(at, f), 'utf8').split('\n').filter(Boolean)) : [];
  };

  /** Waits until file_roll wrote `count` lines into `sub` (it writes each batch as it commits). */
  async function waitForLines(sub: string, count: number): Promise<void> {
    const deadline = Date.now() + 15000;
    while (lines(sub).length < count) {
      if (Date.now() > deadline) throw new Error(`only ${lines(sub).length} of ${count} lines written to ${sub}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('receives from logger over TCP and UDP and from curl, and writes every event (YAML topology)', async () => {
    dir = new TempDir();
    const file = dir.write('topology.yaml', `
agents:
  a1:
    sources:
      tcp-in: { type: syslog_tcp, host: 127.0.0.1, port: 0, channels: [mem] }
      udp-in: { type: syslog_udp, host: 127.0.0.1, port: 0, channels: [mem] }
      web-in: { type: http, bind: 127.0.0.1, port: 0, channels: [mem] }
    channels:
      mem: { type: memory }
    sinks:
      out: { type: file_roll, channel: mem, directory: ./out, rollInterval: '0', serializer: header_and_text }
`);
    agent = AgentProcess.start(file, 'a1');
    await agent.started();
    const tcp = await agent.portOf('tcp-in');
    const udp = await agent.portOf('udp-in');
    const web = await agent.portOf('web-in');
    await run('logger', ['-n', '127.0.0.1', '-P', String(tcp), '-T', '--octet-count', '--rfc5424', '-t', 'e2e', 'over tcp']);
    await run('logger', ['-n', '127.0.0.1', '-P', String(udp), '-d', '--rfc3164', '-t', 'e2e', 'over udp']);
    const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Content-Type: application/json', '--data-binary', '[{"headers":{"src":"curl"},"body":"over http"}]', `http://127.0.0.1:${web}/`]);
    expect(stdout).to.equal('200');
    await waitForLines('out', 3);
    expect((await agent.stop()).code).to.equal(0);
    agent = undefined;
    const written = lines('out');
    expect(written.find((l) => l.endsWith('over tcp'))).to.match(/appName=e2e/);
    expect(written.find((l) => l.endsWith('e2e: over udp'))).to.match(/Facility=1/);
    expect(written.find((l) => l.endsWith('over http'))).to.match(/src=curl/);
  });

  it('chains two agent processes over HTTP: logger -> syslog_tcp -> http sink -> http source -> file_roll', async () => {
    dir = new TempDir();
    const collectorFile = dir.write('collector.yaml', `
agents:
  collector:
    sources:
      web-in: { type: http, bind: 127.0.0.1, port: 0, authToken: tier-token, channels: [mem] }
    channels:
      mem: { type: memory }
    sinks:
      out: { type: file_roll, channel: mem, directory: ./tier-out, rollInterval: '0', serializer: header_and_text }
`);
    const collector = AgentProcess.start(collectorFile, 'collector');
    try {
      await collector.started();
      const port = await collector.portOf('web-in');
      const edgeFile = dir.write('edge.yaml', `
agents:
  edge:
    sources:
      syslog-in: { type: syslog_tcp, host: 127.0.0.1, port: 0, channels: [mem] }
    channels:
      mem: { type: memory }
    sinks:
      forward: { type: http, channel: mem, endpoint: "http://127.0.0.1:${port}/", authToken: tier-token, batchSize: 50 }
`);
      agent = AgentProcess.start(edgeFile, 'edge');
      await agent.started();
      const syslogPort = await agent.portOf('syslog-in');
      const input = Array.from({ length: 300 }, (_, i) => `tier line ${i}`).join('\n');
      await new Promise<void>((resolve, reject) => {
        const child = execFile('logger', ['-n', '127.0.0.1', '-P', String(syslogPort), '-T', '--octet-count', '--rfc5424', '-t', 'tier'], (error) => (error ? reject(error) : resolve()));
        child.stdin!.end(`${input}\n`);
      });
      await waitForLines('tier-out', 300);
      expect((await agent.stop()).code).to.equal(0);
      agent = undefined;
      expect((await collector.stop()).code).to.equal(0);
      const written = lines('tier-out');
      expect(written.map((l) => l.slice(l.indexOf('tier line'))).sort()).to.deep.equal(input.split('\n').sort());
      expect(written.every((l) => /appName=tier/.test(l))).to.equal(true);
    } finally {
      await collector.stop();
    }
  });

  it('runs a Flume .properties topology with syslogtcp and multiport_syslogtcp', async () => {
    dir = new TempDir();
    const file = dir.write('flume.properties', `
a1.sources = r1 r2
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = syslogtcp
a1.sources.r1.host = 127.0.0.1
a1.sources.r1.port = 0
a1.sources.r1.keepFields = true
a1.sources.r1.channels = c1
a1.sources.r2.type = multiport_syslogtcp
a1.sources.r2.host = 127.0.0.1
a1.sources.r2.ports = 0 0
a1.sources.r2.portHeader = port
a1.sources.r2.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = ./flume-out
a1.sinks.k1.sink.rollInterval = 0
a1.sinks.k1.channel = c1
`);
    agent = AgentProcess.start(file, 'a1');
    await agent.started();
    const port = await agent.portOf('r1');
    const multiport = (await agent.waitForLog((l) => l.component === 'r2' && Array.isArray(l.ports))).ports as number[];
    expect(multiport).to.have.length(2);
    await run('logger', ['-n', '127.0.0.1', '-P', String(port), '-T', '--rfc3164', '-t', 'flumecfg', 'kept whole']);
    await run('logger', ['-n', '127.0.0.1', '-P', String(multiport[1]), '-T', '--rfc3164', '-t', 'flumecfg', 'second port']);
    await waitForLines('flume-out', 2);
    expect((await agent.stop()).code).to.equal(0);
    agent = undefined;
    const written = lines('flume-out');
    expect(written).to.have.length(2);
    expect(written.find((l) => l.includes('kept whole'))).to.match(/^<13>\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ flumecfg: kept whole$/);
    expect(written.find((l) => l.includes('second port'))).to.equal('flumecfg: second port');
  });
});
