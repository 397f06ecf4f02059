import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { freePort } from './helpers/free-port.js';

type Workers = { workers: { index: number; pid: number; connections: number; metrics: Record<string, Record<string, string>> }[] };

/** Opens `n` connections at once; resolves when all are established. */
function connectAll(port: number, n: number): Promise<net.Socket[]> {
  return Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  })));
}

/** Resolves with the bytes the peer sent until it closed the connection (or after `ms` without closing: undefined). */
function closedBy(socket: net.Socket, ms: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let got = '';
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', () => undefined);
  });
}

describe('workers: 2 balancing TCP connections by open connections (real sluice agent) @slow', function () {
  this.timeout(120_000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.kill();
    dir.cleanup();
  });

  it('4 syslog connections opened at once go 2 and 2, every time; every line arrives; netcat maxConnections holds per worker', async () => {
    const [syslogPort, ncPort, monitoringPort] = [await freePort(), await freePort(), await freePort()];
    const out = path.join(dir.path, 'out');
    const file = dir.write('topology.yaml', `
monitoring:
  http: { port: ${monitoringPort}, host: 127.0.0.1 }
agents:
  edge:
    workers: 2
    dataDir: '${path.join(dir.path, 'data')}'
    sources:
      syslog: { type: syslog_tcp, host: 127.0.0.1, port: ${syslogPort}, channels: [mem] }
      nc: { type: netcat, bind: 127.0.0.1, port: ${ncPort}, maxConnections: 1, channels: [mem] }
    channels:
      mem: { type: memory }
    sinks:
      files: { type: file_roll, channel: mem, directory: '${out}', rollInterval: '0', batchSize: 10 }
`);
    agent = AgentProcess.start(file, 'edge');
    await agent.waitForLog((l) => l.msg === 'all workers started', 60_000);
    const base = `http://127.0.0.1:${monitoringPort}`;
    const workers = async (): Promise<Workers['workers']> => ((await (await fetch(`${base}/metrics/workers`)).json()) as Workers).workers;
    let sent = 0;
    for (let round = 0; round < 5; round++) {
      const sockets = await connectAll(syslogPort, 4);
      for (const socket of sockets) socket.write(`<13>Nov 26 07:49:31 host app: round ${round} line ${sent++}\n`);
      let split: number[][] = [];
      for (let i = 0; i < 100; i++) {
        const now = await workers();
        split = now.map((w) => [w.connections, Number(w.metrics['SOURCE.syslog']!.OpenConnectionCount)]);
        if (split.every(([c, open]) => c === 2 && open === 2)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(split, `round ${round}: [primary's count, source's OpenConnectionCount] per worker`).to.deep.equal([[2, 2], [2, 2]]);
      await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.end(resolve))));
      for (let i = 0; i < 100 && (await workers()).some((w) => w.connections !== 0); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await workers()).map((w) => w.connections), `round ${round}: closed connections are counted down`).to.deep.equal([0, 0]);
    }

    // A worker on every core (2 here, on 2 cores or fewer) runs without V8's helper threads.
    const flagged = (await workers()).map((w) => readFileSync(`/proc/${w.pid}/cmdline`, 'utf8').split('\0').includes('--single-threaded'));
    expect(flagged, 'workers started with --single-threaded').to.deep.equal(os.availableParallelism() <= 2 ? [true, true] : [false, false]);

    // maxConnections: 1 is per worker: two connections are served, a third is closed at once.
    const held = await connectAll(ncPort, 2);
    for (let i = 0; i < 100 && (await workers()).some((w) => Number(w.metrics['SOURCE.nc']!.OpenConnectionCount) !== 1); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const [third] = await connectAll(ncPort, 1);
    expect(await closedBy(third!, 10_000), 'the third netcat connection is closed without an answer').to.equal('');
    const answers = await Promise.all(held.map((socket) => {
      const answer = closedBy(socket, 10_000);
      socket.end(`nc line ${sent++}\n`);
      return answer;
    }));
    expect(answers).to.deep.equal(['OK\n', 'OK\n']);

    const status = await agent.stop();
    expect(status.code, agent.stderr).to.equal(0);
    const written = readdirSync(out).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean));
    expect(written.length).to.equal(sent);
    expect(readdirSync(out).some((f) => f.endsWith('-w0')) && readdirSync(out).some((f) => f.endsWith('-w1'))).to.equal(true);
  });
});
