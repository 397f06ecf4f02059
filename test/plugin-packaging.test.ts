import { execFileSync, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error'];

/** Packs workspaces into `dir` exactly as `npm publish` would ship them; returns the tarball paths. */
function pack(dir: string, workspaces: string[]): string[] {
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, ...workspaces.flatMap((w) => ['-w', w])], { cwd: ROOT, stdio: 'pipe' });
  return readdirSync(dir).filter((f) => f.endsWith('.tgz')).map((f) => path.join(dir, f));
}

describe('plugins as a new user gets them: npm pack, install into a fresh project @slow', function () {
  this.timeout(180000);
  const packs = new TempDir();
  let tarballs: string[] = [];
  before(() => {
    tarballs = pack(packs.path, ['@sluice/core', '@sluice/config', '@sluice/agent', '@sluice/testkit', 'sluice', '@sluice-examples/sluice-plugin-webhook']);
  });
  after(() => packs.cleanup());

  it('a fresh project installs sluice and the example plugin, names the plugin in a topology, and sluice agent runs it', async () => {
    const project = new TempDir();
    const received: string[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        for (const e of JSON.parse(Buffer.concat(chunks).toString()) as { body: string }[]) received.push(e.body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let agent: AgentProcess | undefined;
    try {
      execFileSync('npm', ['init', '-y'], { cwd: project.path, stdio: 'pipe' });
      const wanted = tarballs.filter((t) => !/testkit/.test(t));
      execFileSync('npm', ['install', ...NPM_FLAGS, ...wanted], { cwd: project.path, stdio: 'pipe' });
      const file = project.write('topology.yaml', `plugins: ["@sluice-examples/sluice-plugin-webhook"]
agents:
  a1:
    sources: { numbers: { type: seq, count: 300, batchSize: 50, channels: [c1] } }
    channels: { c1: { type: memory } }
    sinks: { hook: { type: webhook, channel: c1, url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/in", batchSize: 40 } }
`);
      const validate = spawnSync(path.join(project.path, 'node_modules/.bin/sluice'), ['validate', '-f', file], { encoding: 'utf8' });
      expect(validate.status, validate.stderr).to.equal(0);
      agent = AgentProcess.start(file, 'a1', { cwd: project.path });
      await agent.started();
      const deadline = Date.now() + 30000;
      while (received.length < 300 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(new Set(received.map((b) => parseInt(b, 10))).size).to.equal(300);
      expect((await agent.stop()).code).to.equal(0);
    } finally {
      await agent?.kill();
      server.close();
      project.cleanup();
    }
  });

  it('sluice new plugin scaffolds a package that passes its own tests out of the box', () => {
    const work = new TempDir();
    try {
      const sluiceBin = path.join(ROOT, 'packages/cli/dist/src/bin.js');
      const created = spawnSync(process.execPath, [sluiceBin, 'new', 'plugin', 'sluice-plugin-demo'], { cwd: work.path, encoding: 'utf8' });
      expect(created.status, created.stderr).to.equal(0);
      const pkg = path.join(work.path, 'sluice-plugin-demo');
      const sluicePacks = tarballs.filter((t) => /sluice-(core|config|agent|testkit)-/.test(t));
      execFileSync('npm', ['install', ...NPM_FLAGS, ...sluicePacks], { cwd: pkg, stdio: 'pipe' });
      execFileSync('npm', ['install', ...NPM_FLAGS], { cwd: pkg, stdio: 'pipe' });
      const test = spawnSync('npm', ['test'], { cwd: pkg, encoding: 'utf8' });
      expect(test.status, test.stdout + test.stderr).to.equal(0);
      expect(test.stdout).to.match(/5 passing/);
    } finally {
      work.cleanup();
    }
  });
});
