import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

function lines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l !== ''));
}

describe('a Flume SpillableMemoryChannel configuration runs unchanged', function () {
  this.timeout(60000);
  const tmp = new TempDir();
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.stop('SIGTERM', 20000);
    tmp.cleanup();
  });

  it('moves every event through a small memory that spills to disk, in order', async () => {
    const out = path.join(tmp.path, 'out');
    const file = tmp.write('flume.conf', `
agent.sources = gen
agent.channels = spill
agent.sinks = files
agent.sources.gen.type = seq
agent.sources.gen.totalEvents = 20000
agent.sources.gen.channels = spill
agent.channels.spill.type = SPILLABLEMEMORY
agent.channels.spill.memoryCapacity = 500
agent.channels.spill.transactionCapacity = 1000
agent.channels.spill.overflowCapacity = 1000000
agent.channels.spill.byteCapacity = 800000
agent.channels.spill.avgEventSize = 500
agent.channels.spill.checkpointDir = ${path.join(tmp.path, 'checkpoint')}
agent.channels.spill.dataDirs = ${path.join(tmp.path, 'data')}
agent.sinks.files.type = file_roll
agent.sinks.files.sink.directory = ${out}
agent.sinks.files.sink.rollInterval = 0
agent.sinks.files.channel = spill
`);
    agent = AgentProcess.start(file, 'agent');
    await agent.started();
    const deadline = Date.now() + 30000;
    while (lines(out).length < 20000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines(out).map(Number)).to.deep.equal(Array.from({ length: 20000 }, (_, i) => i));
    expect(existsSync(path.join(tmp.path, 'data'))).to.equal(true);
  });
});
