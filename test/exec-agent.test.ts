import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

/** Live (non-zombie) processes of process group `pgid`, from the process table (`ps -eo pid,pgid,stat,args`). */
function groupMembers(pgid: number): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return table.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => Number(f[1]) === pgid && !f[2]?.startsWith('Z')).map((f) => f.join(' '));
}

function outputLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
}

async function until(check: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function topology(input: string, out: string): string {
  return `agents:
  edge:
    sources:
      tail: { type: exec, command: "tail -n +1 -F ${input} | cat", shell: /bin/sh -c, batchSize: 10, batchTimeout: 100ms, stopGracePeriod: 2s, channels: [mem] }
    channels: { mem: { type: memory, capacity: 10000, transactionCapacity: 1000 } }
    sinks: { files: { type: file_roll, channel: mem, directory: ${out}, rollInterval: 1h, batchSize: 10 } }
`;
}

describe('exec source in a running sluice agent', function () {
  this.timeout(60000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
  });
  after(() => dir.cleanup());

  it('tails a growing file; SIGHUP with a changed command ends the old process group; SIGTERM leaves no child process', async () => {
    const first = dir.write('first.log', '');
    const second = dir.write('second.log', '');
    const out = path.join(dir.path, 'out');
    const file = dir.write('exec.yaml', topology(first, out));
    agent = AgentProcess.start(file, 'edge');
    await agent.started();
    const oldPgid = (await agent.waitForLog((l) => l.msg === 'exec source started the command')).pgid as number;
    expect(groupMembers(oldPgid).join('\n')).to.include(`tail -n +1 -F ${first}`);

    const expected: string[] = [];
    for (let i = 0; i < 500; i++) {
      appendFileSync(first, `first-${i}\n`);
      expected.push(`first-${i}`);
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(() => outputLines(out).length >= expected.length, 'the first file\'s 500 lines in file_roll output');
    expect(outputLines(out)).to.deep.equal(expected);

    writeFileSync(file, topology(second, out));
    agent.child.kill('SIGHUP');
    await agent.waitForLog((l) => l.msg === 'reload applied');
    expect(groupMembers(oldPgid), 'the old command\'s group after reload').to.deep.equal([]);
    const newPgid = (await agent.waitForLog((l) => l.msg === 'exec source started the command' && l.pgid !== oldPgid)).pgid as number;
    expect(groupMembers(newPgid).join('\n')).to.include(`tail -n +1 -F ${second}`);
    appendFileSync(second, 'second-0\nsecond-1\n');
    await until(() => outputLines(out).includes('second-1'), 'the second file\'s lines');

    expect(await agent.stop('SIGTERM')).to.deep.equal({ code: 0, signal: null });
    expect(groupMembers(newPgid), 'the command\'s group after SIGTERM of the agent').to.deep.equal([]);
  });
});
