import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, SLUICE_BIN, TempDir } from './helpers/agent-process.js';
import { freePort } from './helpers/free-port.js';

const MESSAGES = 300;

type Flume = Record<string, Record<string, string>>;

describe('workers: 2 sharing one UDP socket, with monitoring, sluice top, SIGHUP and SIGTERM (real sluice agent, util-linux logger) @slow', function () {
  this.timeout(120_000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.kill();
    dir.cleanup();
  });

  it('both workers read datagrams from the shared socket; /metrics sums them, /metrics/workers and Prometheus show each; SIGHUP reloads every worker; SIGTERM drains all', async () => {
    const [port, monitoringPort] = [await freePort(), await freePort()];
    const out = path.join(dir.path, 'out');
    const file = dir.write('topology.yaml', `
monitoring:
  http: { port: ${monitoringPort}, host: 127.0.0.1 }
agents:
  edge:
    workers: 2
    dataDir: '${path.join(dir.path, 'data')}'
    sources:
      udp: { type: syslog_udp, host: 127.0.0.1, port: ${port}, channels: [mem] }
    channels:
      mem: { type: memory }
    sinks:
      files: { type: file_roll, channel: mem, directory: '${out}', rollInterval: '0', batchSize: 10 }
`);
    agent = AgentProcess.start(file, 'edge');
    await agent.waitForLog((l) => l.msg === 'all workers started', 60_000);
    const lines = Array.from({ length: MESSAGES }, (_, i) => `udp-message-${i}`).join('\n');
    // logger sends each stdin line as one RFC 3164 datagram; a short pause every 50 keeps the kernel buffer from overflowing.
    for (let from = 0; from < MESSAGES; from += 50) {
      const sent = spawnSync('logger', ['-d', '-n', '127.0.0.1', '-P', String(port), '--rfc3164', '-t', 'bench'], { input: lines.split('\n').slice(from, from + 50).join('\n') });
      expect(sent.status, String(sent.stderr)).to.equal(0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const base = `http://127.0.0.1:${monitoringPort}`;
    let summed: Flume = {};
    for (let i = 0; i < 100; i++) {
      summed = await (await fetch(`${base}/metrics`)).json() as Flume;
      if (Number(summed['SINK.files']?.EventDrainSuccessCount) >= MESSAGES) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const workers = (await (await fetch(`${base}/metrics/workers`)).json() as { workers: { index: number; state: string; metrics: Flume }[] }).workers;
    const received = workers.map((w) => Number(w.metrics['SOURCE.udp']!.EventReceivedCount));
    expect(received.every((n) => n > 0), `per worker: ${received.join(', ')}`).to.equal(true);
    expect(Number(summed['SOURCE.udp']!.EventReceivedCount)).to.equal(received[0]! + received[1]!);
    expect(Number(summed['SOURCE.udp']!.EventReceivedCount)).to.equal(MESSAGES);
    const prometheus = await (await fetch(`${base}/metrics/prometheus`)).text();
    for (const [index, n] of received.entries()) expect(prometheus).to.contain(`sluice_event_received_count{agent="edge",component="udp",kind="source",worker="${index}"} ${n}`);
    expect((await fetch(`${base}/health`)).status).to.equal(200);

    // sluice top shows the WORKER section (not a TTY: plain screens, one per second).
    const top = spawn(process.execPath, [SLUICE_BIN, 'top', String(monitoringPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    top.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    // Until a whole screen with both workers arrived (a loaded machine takes seconds to start the CLI).
    for (let i = 0; i < 200 && !/^1\s+\d+\s+running/m.test(screen); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    top.kill('SIGINT');
    await new Promise((resolve) => top.once('exit', resolve));
    expect(screen).to.match(/^WORKER\s+pid\s+state\s+restarts/m);
    expect(screen).to.match(/^0\s+\d+\s+running\s+0/m);
    expect(screen).to.match(/^1\s+\d+\s+running\s+0/m);

    agent.child.kill('SIGHUP');
    for (const index of [0, 1]) await agent.waitForLog((l) => l.msg === 'reload: nothing changed' && l.worker === index);
    const status = await agent.stop();
    expect(status.code, agent.stderr).to.equal(0);
    expect(agent.logs.filter((l) => l.msg === 'agent stopped').map((l) => l.worker ?? 'primary').sort()).to.deep.equal([0, 1, 'primary']);
    const written = readdirSync(out).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean));
    expect(written.filter((l) => /udp-message-\d+$/.test(l))).to.have.length(MESSAGES);
  });

  it('SIGTERM while the workers are still starting stops them all and exits 0', async () => {
    const port = await freePort();
    const file = dir.write('early.yaml', `
agents:
  early:
    workers: 2
    dataDir: '${path.join(dir.path, 'early')}'
    sources: { udp: { type: syslog_udp, host: 127.0.0.1, port: ${port}, channels: [mem] } }
    channels: { mem: { type: memory } }
    sinks: { k: { type: 'null', channel: mem } }
`);
    agent = AgentProcess.start(file, 'early');
    await agent.waitForLog((l) => l.msg === 'starting workers', 60_000);
    const status = await agent.stop('SIGTERM', 30_000);
    expect(status, agent.stderr).to.deep.equal({ code: 0, signal: null });
    expect(agent.logs.filter((l) => l.msg === 'worker stopped').map((l) => l.worker).sort()).to.deep.equal([0, 1]);
  });
});

describe('workers: the monitoring server of a 2-worker agent', function () {
  this.timeout(60_000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  let blocker: net.Server | undefined;
  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });
  after(() => dir.cleanup());

  const topology = (monitoringPort: number, port: number): string => dir.write(`topology-${monitoringPort}.yaml`, `
monitoring:
  http: { port: ${monitoringPort}, host: 127.0.0.1 }
agents:
  edge:
    workers: 2
    dataDir: '${path.join(dir.path, `data-${monitoringPort}`)}'
    sources:
      udp: { type: syslog_udp, host: 127.0.0.1, port: ${port}, channels: [mem] }
    channels:
      mem: { type: memory }
    sinks:
      out: { type: 'null', channel: mem }
`);

  it('listens before the workers start: when all workers started is logged, /health answers', async () => {
    const monitoringPort = await freePort();
    agent = AgentProcess.start(topology(monitoringPort, await freePort()), 'edge');
    const listening = await agent.waitForLog((l) => l.msg === 'monitoring listening', 60_000);
    const started = await agent.waitForLog((l) => l.msg === 'all workers started', 60_000);
    expect(agent.logs.indexOf(listening)).to.be.lessThan(agent.logs.indexOf(started));
    const health = await fetch(`http://127.0.0.1:${monitoringPort}/health`);
    expect(health.status).to.equal(200);
  });

  it('a monitoring port in use stops the agent with exit 1 and the error, before any worker is forked', async () => {
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    agent = AgentProcess.start(topology(taken, await freePort()), 'edge');
    const status = await agent.exited;
    expect(status.code).to.equal(1);
    const fatal = agent.logs.find((l) => l.code === 'SLUICE_COMPONENT_START');
    expect(fatal?.msg).to.match(new RegExp(`monitoring server could not listen on 127\\.0\\.0\\.1:${taken}: .*choose another monitoring\\.http\\.port`));
    expect(agent.logs.some((l) => l.msg === 'starting workers'), 'no worker was forked').to.equal(false);
  });
});
