import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

describe('sluice agent with the stdin source', function () {
  this.timeout(30000);
  const dir = new TempDir();
  after(() => dir.cleanup());

  it('writes every piped line to the file_roll output and stops cleanly on SIGTERM', async () => {
    const out = path.join(dir.path, 'out');
    const file = dir.write('stdin.yaml', `agents:
  a1:
    sources: { in: { type: stdin, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { files: { type: file_roll, channel: c1, directory: ${out}, batchSize: 100 } }
`);
    const child = spawn(process.execPath, [SLUICE_BIN, 'agent', '-f', file, '-n', 'a1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let logs = '';
    child.stdout.on('data', (c: Buffer) => (logs += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines = Array.from({ length: 2000 }, (_, i) => `stdin line ${i}`);
    child.stdin.end(`${lines.join('\n')}\n`);
    const deadline = Date.now() + 15000;
    while (!logs.includes('stdin closed') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    const written = readdirSync(out).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean));
    expect(written).to.deep.equal(lines);
  });
});

describe('sluice plugins', () => {
  it('lists the built-in component types and installed packages with the sluice-plugin keyword', () => {
    const result = spawnSync(process.execPath, [SLUICE_BIN, 'plugins'], { encoding: 'utf8', cwd: path.dirname(SLUICE_BIN) });
    expect(result.stdout).to.match(/^@sluice\/core \(core \d/m);
    expect(result.stdout).to.match(/channel\s+memory/);
    expect(result.stdout).to.match(/^@sluice-examples\/sluice-plugin-webhook \(core \^0\.1\.0\)\n {2}sink\s+webhook/m);
  });
});
