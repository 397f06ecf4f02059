import dgram from 'node:dgram';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

/**
 * UDP loss is visible: a real `sluice agent` process is paused (SIGSTOP) while a burst far larger
 * than its socket's receive buffer arrives, so the kernel must drop most of it. Its /metrics must
 * then account for every datagram: accepted + EventDroppedCount == sent, with the kernel's part
 * in KernelDroppedCount (read from /proc/net/udp for the source's socket).
 */
describe('syslog_udp shows kernel receive-buffer drops in /metrics', function () {
  this.timeout(30000);
  let dir: TempDir | undefined;
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    if (agent) process.kill(agent.child.pid!, 'SIGCONT');
    await agent?.stop();
    agent = undefined;
    dir?.cleanup();
    dir = undefined;
  });

  const metricsOf = async (port: number): Promise<Record<string, string>> => {
    const body = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as Record<string, Record<string, string>>;
    return body['SOURCE.udp-in']!;
  };

  it('a 3,000-datagram burst into a 64 KiB buffer: every datagram is accepted or counted as dropped', async () => {
    dir = new TempDir();
    const file = dir.write('topology.yaml', `
monitoring: { http: { host: 127.0.0.1, port: 0 } }
agents:
  a1:
    sources:
      udp-in: { type: syslog_udp, host: 127.0.0.1, port: 0, receiveBufferSize: 64KiB, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 10000 }
    sinks:
      out: { type: "null", channel: mem }
`);
    agent = AgentProcess.start(file, 'a1');
    await agent.started();
    const udpPort = await agent.portOf('udp-in');
    const monitoringPort = await agent.portOf('monitoring');
    const before = await metricsOf(monitoringPort);
    // Every counter is listed from the start, at zero.
    expect(before).to.include({ EventDroppedCount: '0', KernelDroppedCount: '0', EventAcceptedCount: '0', EventInvalidCount: '0', EventIncompleteCount: '0' });

    process.kill(agent.child.pid!, 'SIGSTOP');
    const socket = dgram.createSocket('udp4');
    const SENT = 3000;
    let sent = 0;
    for (let i = 0; i < SENT; i++) {
      const line = `<13>Dec  2 03:04:05 burst app: datagram ${i} ${'x'.repeat(900)}`;
      await new Promise<void>((resolve) => socket.send(line, udpPort, '127.0.0.1', (err) => { if (!err) sent++; resolve(); }));
    }
    socket.close();
    process.kill(agent.child.pid!, 'SIGCONT');

    const deadline = Date.now() + 15000;
    let metrics = await metricsOf(monitoringPort);
    while (Number(metrics.EventAcceptedCount) + Number(metrics.EventDroppedCount) < sent && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      metrics = await metricsOf(monitoringPort);
    }
    expect(sent).to.equal(SENT);
    expect(Number(metrics.EventAcceptedCount) + Number(metrics.EventDroppedCount), JSON.stringify(metrics)).to.equal(sent);
    expect(Number(metrics.KernelDroppedCount)).to.be.above(SENT / 2);
    expect(metrics.KernelDroppedCount).to.equal(metrics.EventDroppedCount);
  });
});
