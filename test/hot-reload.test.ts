import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, SLUICE_BIN, TempDir } from './helpers/agent-process.js';
import { NcClient } from './helpers/nc-rounds.js';
import { requirePeers } from '@sluice/testkit';

function topology(out: string, sinkBatch: number, port = 0): string {
  return `agents:
  edge:
    sources: { lines: { type: netcat, port: ${port}, channels: [mem] } }
    channels: { mem: { type: memory, capacity: 100000, transactionCapacity: 1000 } }
    sinks: { files: { type: file_roll, channel: mem, directory: ${out}, rollInterval: 1h, batchSize: ${sinkBatch} } }
`;
}

/** Line number -> how many times it is in the file_roll output. */
function countLines(dir: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (line.startsWith('line-')) counts.set(Number(line.slice(5)), (counts.get(Number(line.slice(5))) ?? 0) + 1);
    }
  }
  return counts;
}

describe('hot reload of a running sluice agent', function () {
  before(function () { requirePeers(this, 'nc'); });
  this.timeout(90000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  let client: NcClient | undefined;
  afterEach(async () => {
    await client?.stop().catch(() => undefined);
    await agent?.kill();
    agent = undefined;
    client = undefined;
  });
  after(() => dir.cleanup());

  it('SIGHUP after a sink batchSize edit restarts only that sink: a client sending throughout sees no refused connection, nothing is lost, duplicates stay within one batch', async () => {
    const out = path.join(dir.path, 'out-hup');
    const file = dir.write('hup.yaml', topology(out, 50));
    agent = AgentProcess.start(file, 'edge');
    await agent.started();
    const port = await agent.portOf('lines');
    client = new NcClient(port);
    client.start();
    await client.waitRounds(25);
    writeFileSync(file, topology(out, 100));
    agent.child.kill('SIGHUP');
    const applied = await agent.waitForLog((l) => l.msg === 'reload applied');
    expect(applied.restarted).to.deep.include({ stopSinkUnits: ['files'], startSinkUnits: ['files'], stopSources: [], startSources: [], stopChannels: [], startChannels: [] });
    await client.waitRounds(25);
    await client.stop();
    expect(await agent.stop()).to.deep.equal({ code: 0, signal: null });
    expect(client.failures).to.deep.equal([]);
    expect(agent.logs.filter((l) => l.msg === 'netcat source listening')).to.have.length(1);
    const counts = countLines(out);
    const missing = client.acked.filter((id) => !counts.has(id));
    expect(missing).to.deep.equal([]);
    const duplicated = [...counts.values()].filter((n) => n > 1).length;
    expect(duplicated).to.be.at.most(100);
  });

  it('an invalid edit changes nothing and is reported; --watch applies a later valid edit', async () => {
    const out = path.join(dir.path, 'out-watch');
    const file = dir.write('watch.yaml', topology(out, 50));
    const child = spawn(process.execPath, [SLUICE_BIN, 'agent', '-f', file, '-n', 'edge', '--watch'], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: Record<string, unknown>[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) logs.push(JSON.parse(line) as Record<string, unknown>);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const waitFor = async (match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
      for (let i = 0; i < 750; i++) {
        const found = logs.find(match);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`log line not seen; last: ${JSON.stringify(logs.slice(-3))}`);
    };
    try {
      await waitFor((l) => l.msg === 'watching the topology file for changes');
      writeFileSync(file, topology(out, 50).replace('type: file_roll', 'type: file_rol'));
      const rejected = await waitFor((l) => l.msg === 'reload rejected: the file is invalid; the agent keeps running unchanged');
      expect(rejected.code).to.equal('SLUICE_CONFIG_INVALID');
      expect(String(rejected.problems)).to.include('/agents/edge/sinks/files/type');
      writeFileSync(file, topology(out, 75));
      const applied = await waitFor((l) => l.msg === 'reload applied');
      expect(applied.restarted).to.deep.include({ startSinkUnits: ['files'], startSources: [] });
    } finally {
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    }
  });
});
