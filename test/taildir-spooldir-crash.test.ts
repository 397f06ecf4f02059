import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

function delivered(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(dir)) return counts;
  for (const name of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      if (/^f\d-\d{5}$/.test(line)) counts.set(line, (counts.get(line) ?? 0) + 1);
    }
  }
  return counts;
}

describe('spooldir survives SIGKILL of the agent @slow', function () {
  this.timeout(90000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.kill();
    dir.cleanup();
  });

  it('delivers every line of every spooled file at least once and completes each file after 5 kill -9 rounds', async () => {
    const spool = path.join(dir.path, 'spool');
    const out = path.join(dir.path, 'out');
    mkdirSync(spool);
    const expected: string[] = [];
    for (let f = 0; f < 6; f++) {
      const lines = Array.from({ length: 3000 }, (_, i) => `f${f}-${String(i).padStart(5, '0')}`);
      expected.push(...lines);
      const staged = path.join(dir.path, `staged-${f}`);
      writeFileSync(staged, `${lines.join('\n')}\n`);
      renameSync(staged, path.join(spool, `part-${f}.log`));
    }
    const topology = dir.write('spool.yaml', `agents:
  edge:
    sources:
      spool: { type: spooldir, spoolDir: ${spool}, batchSize: 100, pollDelay: 100ms, channels: [disk] }
    channels:
      disk: { type: file, dataDir: ${dir.path}/channel, minFreeSpace: '0' }
    sinks:
      files: { type: file_roll, channel: disk, directory: ${out}, rollInterval: 1h, batchSize: 100 }
`);
    for (let round = 0; round < 5; round++) {
      agent = AgentProcess.start(topology, 'edge');
      await agent.started();
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 300)));
      await agent.kill();
      agent = undefined;
    }
    agent = AgentProcess.start(topology, 'edge');
    await agent.started();
    const done = (): boolean => readdirSync(spool).filter((n) => n.endsWith('.log')).length === 0 && delivered(out).size >= expected.length;
    const deadline = Date.now() + 30000;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await agent.stop('SIGTERM')).code).to.equal(0);
    agent = undefined;
    const counts = delivered(out);
    expect(expected.filter((line) => !counts.has(line)), 'lines never delivered').to.deep.equal([]);
    expect(readdirSync(spool).filter((n) => !n.startsWith('.')).sort()).to.deep.equal(
      Array.from({ length: 6 }, (_, f) => `part-${f}.log.COMPLETED`));
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates, 'repeats: at most the batch in flight at the source and at the sink per crash').to.be.at.most(5 * 200);
  });
});
