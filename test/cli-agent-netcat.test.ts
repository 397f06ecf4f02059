import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { requirePeers } from '@sluice/testkit';

/** Sends lines with the real netcat (netcat-openbsd) and returns its replies. */
function nc(port: number, lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('nc', ['-N', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out.split('\n').filter(Boolean))); // 'exit' may precede the last stdout data
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

function outputLines(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
}

describe('sluice agent with the netcat source and a real nc client', function () {
  before(function () { requirePeers(this, 'nc'); });
  this.timeout(60000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.kill();
    agent = undefined;
  });
  after(() => dir.cleanup());

  it('loses nothing acknowledged with OK: every line is in the file_roll output after SIGINT', async () => {
    const out = path.join(dir.path, 'out');
    const file = dir.write('netcat.yaml', `agents:
  edge:
    sources: { lines: { type: netcat, port: 0, channels: [mem] } }
    channels: { mem: { type: memory, capacity: 10000, transactionCapacity: 1000 } }
    sinks: { files: { type: file_roll, channel: mem, directory: ${out}, rollInterval: 1h, batchSize: 50 } }
`);
    agent = AgentProcess.start(file, 'edge');
    const port = await agent.portOf('lines');
    await agent.started();
    const lines = Array.from({ length: 500 }, (_, i) => `line-${i} ${'x'.repeat(i % 40)}`);
    const replies = await nc(port, lines);
    expect(replies).to.have.length(500);
    expect(replies.every((r) => r === 'OK')).to.equal(true);
    const status = await agent.stop('SIGINT');
    expect(status.code).to.equal(0);
    expect(outputLines(out)).to.have.members(lines);
  });

  it('splits a burst larger than transactionCapacity into batches and acknowledges every line', async () => {
    const out = path.join(dir.path, 'burst');
    const file = dir.write('burst.yaml', `agents:
  edge:
    sources: { lines: { type: netcat, port: 0, batchSize: 100, channels: [mem] } }
    channels: { mem: { type: memory, capacity: 100000, transactionCapacity: 100 } }
    sinks: { files: { type: file_roll, channel: mem, directory: ${out}, batchSize: 100 } }
`);
    agent = AgentProcess.start(file, 'edge');
    const port = await agent.portOf('lines');
    const lines = Array.from({ length: 5000 }, (_, i) => `burst-${i}`);
    const replies = await nc(port, lines);
    expect(replies.filter((r) => r === 'OK')).to.have.length(5000);
    expect((await agent.stop('SIGINT')).code).to.equal(0);
    expect(outputLines(out)).to.deep.equal(lines);
  });

  it('answers FAILED instead of dropping when the channel is full, and keeps what it acknowledged', async () => {
    const file = dir.write('full.yaml', `agents:
  edge:
    sources: { lines: { type: netcat, port: 0, batchSize: 5, channels: [tiny] } }
    channels: { tiny: { type: memory, capacity: 5, transactionCapacity: 5, keepAlive: '0' } }
`);
    agent = AgentProcess.start(file, 'edge');
    const port = await agent.portOf('lines');
    const replies: string[] = [];
    for (let i = 0; i < 8; i++) replies.push(...(await nc(port, [`l${i}`])));
    expect(replies.slice(0, 5)).to.deep.equal(['OK', 'OK', 'OK', 'OK', 'OK']);
    expect(replies.slice(5)).to.deep.equal(['FAILED: SLUICE_CHANNEL_FULL', 'FAILED: SLUICE_CHANNEL_FULL', 'FAILED: SLUICE_CHANNEL_FULL']);
  });
});
