import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir, type LogLine } from './helpers/agent-process.js';
import { freePort } from './helpers/free-port.js';
import { NcClient } from './helpers/nc-rounds.js';

/** Workers SIGKILLed in turn (1, 0, 1, 0...) while the client keeps sending. */
const KILLS = 4;

function topology(dir: string, port: number, monitoringPort: number): string {
  return `
monitoring:
  http: { port: ${monitoringPort}, host: 127.0.0.1 }
agents:
  crash:
    workers: 2
    drainTimeout: 10s
    dataDir: '${path.join(dir, 'data')}'
    sources:
      nc: { type: netcat, bind: 127.0.0.1, port: ${port}, channels: [disk] }
    channels:
      disk: { type: file, minFreeSpace: '0' }
    sinks:
      out: { type: file_roll, channel: disk, directory: '${path.join(dir, 'out')}', fsync: true, rollInterval: '0' }
`;
}

/** Line numbers in the sink's files (`line-<n>`), once per time written. */
function delivered(outDir: string): number[] {
  const numbers: number[] = [];
  for (const file of readdirSync(outDir)) {
    for (const line of readFileSync(path.join(outDir, file), 'utf8').split('\n')) {
      const match = /^line-(\d+)$/.exec(line);
      if (match) numbers.push(Number(match[1]));
    }
  }
  return numbers;
}

/** The pid of the process that most recently logged 'agent started' as worker `index`. */
function workerPid(agent: AgentProcess, index: number): number {
  const lines = agent.logs.filter((l: LogLine) => l.msg === 'agent started' && l.worker === index);
  return lines[lines.length - 1]!.pid as number;
}

describe('workers: 2 with a file channel, workers SIGKILLed in a loop (real sluice agent, real netcat) @slow', function () {
  this.timeout(240_000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  let client: NcClient | undefined;
  after(async () => {
    await client?.stop().catch(() => undefined);
    await agent?.kill();
    dir.cleanup();
  });

  it('every event acknowledged with OK arrives in the sink, and each killed worker comes back with its index and its channel', async () => {
    const [port, monitoringPort] = [await freePort(), await freePort()];
    const file = dir.write('topology.yaml', topology(dir.path, port, monitoringPort));
    agent = AgentProcess.start(file, 'crash');
    await agent.waitForLog((l) => l.msg === 'all workers started', 60_000);
    // A connection the primary hands to a worker at the moment it dies gets no answer (cluster passes
    // accepted sockets over IPC): like any real client, nc gives up after an idle timeout and the
    // round counts as not acknowledged.
    client = new NcClient(port, 20, 5, 5);
    client.start();
    await client.waitRounds(5);
    for (let kill = 0; kill < KILLS; kill++) {
      const index = (kill + 1) % 2;
      const restartsBefore = agent.logs.filter((l) => l.msg === 'worker restarted; its channels were reopened' && l.worker === index).length;
      process.kill(workerPid(agent, index), 'SIGKILL');
      await agent.waitForLog((l) => l.msg === 'worker restarted; its channels were reopened' && l.worker === index
        && agent!.logs.filter((m) => m.msg === l.msg && m.worker === index).length > restartsBefore, 60_000);
      await client.waitRounds(3);
    }
    await client.stop();
    const health = await (await fetch(`http://127.0.0.1:${monitoringPort}/metrics/workers`)).json() as { workers: { index: number; restarts: number; state: string }[] };
    expect(health.workers.map((w) => [w.index, w.state, w.restarts])).to.deep.equal([[0, 'running', KILLS / 2], [1, 'running', KILLS / 2]]);
    const status = await agent.stop();
    expect(status.code, agent.stderr).to.equal(0);
    const got = new Set(delivered(path.join(dir.path, 'out')));
    const missing = client.acked.filter((n) => !got.has(n));
    expect(client.acked.length, 'acknowledged events').to.be.greaterThan(100);
    expect(missing, `${missing.length} of ${client.acked.length} acknowledged events missing`).to.deep.equal([]);
    // Both workers took connections, and worker 1 kept its store under worker-1.
    const files = readdirSync(path.join(dir.path, 'out'));
    expect(files.some((f) => f.endsWith('-w0')) && files.some((f) => f.endsWith('-w1')), files.join(' ')).to.equal(true);
    expect(readdirSync(path.join(dir.path, 'data', 'worker-1'))).to.deep.equal(['disk']);

    // Back to one worker: the agent starts and says worker-1's store is left behind.
    const single = dir.write('single.yaml', topology(dir.path, port, monitoringPort).replace('workers: 2', 'workers: 1'));
    agent = AgentProcess.start(single, 'crash');
    const warning = await agent.waitForLog((l) => Array.isArray(l.stranded), 60_000);
    expect(warning.stranded).to.deep.equal(['worker-1']);
    await agent.started(60_000);
    const singleStatus = await agent.stop();
    expect(singleStatus.code, `${JSON.stringify(singleStatus)} ${agent.stderr} ${JSON.stringify(agent.logs.slice(-6))}`).to.equal(0);
  });
});
