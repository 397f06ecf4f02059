import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const CORPUS = new URL('../../test/fixtures/flume-corpus/', import.meta.url).pathname;

/**
 * A corpus file as a user would run it on this machine: the original text with only the listed
 * substitutions (ports to 0 so the OS picks a free one, directories into a temp dir).
 */
function corpusFile(dir: TempDir, name: string, substitutions: [RegExp, string][]): string {
  let text = readFileSync(path.join(CORPUS, name), 'utf8');
  for (const [pattern, replacement] of substitutions) {
    expect(pattern.test(text), `${name} contains ${pattern}`).to.equal(true);
    text = text.replace(pattern, replacement);
  }
  return dir.write(name, text);
}

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

describe('real Flume files run unchanged (corpus) @slow', function () {
  this.timeout(60000);
  const dir = new TempDir();
  const agents: AgentProcess[] = [];
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.kill()));
  });
  after(() => dir.cleanup());

  it('01 (Flume\'s conf template): seq -> memory -> logger moves events', async () => {
    const agent = AgentProcess.start(corpusFile(dir, '01-apache-flume-conf.properties', []), 'agent');
    agents.push(agent);
    await agent.started();
    const first = await agent.waitForLog((l) => l.msg === 'event' && l.component === 'loggerSink');
    expect(first.body).to.match(/^0/);
    await agent.waitForLog((l) => l.msg === 'event' && /^20\b/.test(String(l.body)));
    expect((await agent.stop('SIGINT')).code).to.equal(0);
  });

  it('39 (ag2 of a two-agent file): netcat -> memory -> logger answers OK per line and logs every event', async () => {
    const agent = AgentProcess.start(corpusFile(dir, '39-luizamboni-flume.properties', [[/ag2\.sources\.r1\.port = 44444/, 'ag2.sources.r1.port = 0']]), 'ag2');
    agents.push(agent);
    const port = await agent.portOf('r1');
    await agent.started();
    const lines = Array.from({ length: 20 }, (_, i) => `hello ${i}`);
    expect(await nc(port, lines)).to.deep.equal(lines.map(() => 'OK'));
    for (const line of lines) await agent.waitForLog((l) => l.msg === 'event' && String(l.body) === line);
    expect((await agent.stop('SIGINT')).code).to.equal(0);
  });

  it('29: netcat -> memory (transactionCapacity 1) -> logger works, as in Flume, because a Flume netcat source commits one event at a time', async () => {
    const agent = AgentProcess.start(corpusFile(dir, '29-ikonovalov-flume-nc.properties', [
      [/a1\.sources\.r1\.bind = 0\.0\.0\.0/, 'a1.sources.r1.bind = 127.0.0.1'],
      [/a1\.sources\.r1\.port = 5555/, 'a1.sources.r1.port = 0'],
    ]), 'a1');
    agents.push(agent);
    const port = await agent.portOf('r1');
    await agent.started();
    const lines = Array.from({ length: 10 }, (_, i) => `one at a time ${i}`);
    expect(await nc(port, lines)).to.deep.equal(lines.map(() => 'OK'));
    for (const line of lines) await agent.waitForLog((l) => l.msg === 'event' && String(l.body) === line);
    expect((await agent.stop('SIGINT')).code).to.equal(0);
  });

  it('44: avro -> memory -> file_roll receives a batch from a Sluice avro sink and writes it; its warning is logged once at start', async () => {
    const out = path.join(dir.path, 'out44');
    const agent = AgentProcess.start(corpusFile(dir, '44-nopponaim603-flume-conf.properties', [
      [/agent1\.sources\.avroSource\.port = 44444/, 'agent1.sources.avroSource.port = 0'],
      [/\/var\/tmp\/output/, out],
    ]), 'agent1');
    agents.push(agent);
    const port = await agent.portOf('avroSource');
    await agent.started();
    const warnings = agent.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('topology: warning:'));
    expect(warnings.map((l) => l.key)).to.deep.equal(['agent1.sinks.fileSink.rollInterval']);
    const sender = AgentProcess.start(dir.write('sender.yaml', `agents:
  edge:
    sources: { gen: { type: seq, count: 30, channels: [c] } }
    channels: { c: { type: memory } }
    sinks: { out: { type: avro, channel: c, hostname: 127.0.0.1, port: ${port} } }
`), 'edge');
    agents.push(sender);
    await sender.started();
    const deadline = Date.now() + 20000;
    const written = (): string[] => (existsSync(out) ? readdirSync(out).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean)) : []);
    while (written().length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(written().map((line) => Number(line.split(/\s/)[0])).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
    expect((await sender.stop('SIGINT')).code).to.equal(0);
    expect((await agent.stop('SIGINT')).code).to.equal(0);
  });
});
