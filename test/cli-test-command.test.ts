import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

const ROUTING = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/routing');

function sluice(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SLUICE_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr })); // 'exit' may precede the last output
  });
}

describe('sluice test on examples/routing', function () {
  this.timeout(60000);
  const dir = new TempDir();
  const taken = net.createServer();
  let port: number;

  before(async () => {
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as net.AddressInfo).port;
  });

  after(async () => {
    await new Promise((resolve) => taken.close(resolve));
    dir.cleanup();
  });

  it('passes the sample tests without opening the source\'s or the monitoring port (both are taken here)', async () => {
    const { code, stdout, stderr } = await sluice(['test', '-f', path.join(ROUTING, 'router.yaml')], { ROUTER_PORT: String(port), MONITORING_PORT: String(port) });
    expect(stderr).to.equal('');
    expect(stdout.split('\n').filter((l) => l.startsWith('  ok    '))).to.have.length(4);
    expect(stdout).to.contain('4 tests (with router.test.yaml)');
    expect(stdout).to.match(/4 tests: 4 passed, 0 failed\n$/);
    expect(code).to.equal(0);
  });

  it('sluice validate still passes on the example and counts its tests', async () => {
    const { code, stdout } = await sluice(['validate', '-f', path.join(ROUTING, 'router.yaml')]);
    expect(stdout).to.equal(`${path.join(ROUTING, 'router.yaml')}: valid (agent 'router': 1 sources, 2 channels, 3 sinks; 4 tests)\n`);
    expect(code).to.equal(0);
  });

  it('fails a deliberately wrong expectation with exit 1 and a diff of expected and arrived events', async () => {
    const file = path.join(dir.path, 'router.yaml');
    copyFileSync(path.join(ROUTING, 'router.yaml'), file);
    // Wrong on purpose: a WARN line does not reach the alerts, and the password is masked.
    dir.write('router.test.yaml', `tests:
  - name: a WARN line raises an alert
    source: lines
    input: [WARN slow disk password=hunter2]
    expect:
      - channel: alerts
        events:
          - body: WARN slow disk password=hunter2
            headers: { level: WARN }
      - channel: archive
        events: [WARN slow disk password=hunter2]
`);
    const { code, stdout } = await sluice(['test', '-f', file]);
    expect(code).to.equal(1);
    expect(stdout).to.contain('  ok    an ERROR line is masked and goes to the alerts and the archive\n');
    expect(stdout).to.contain(`  FAIL  a WARN line raises an alert  [router.test.yaml /tests/0]
        channel 'alerts': expected 1 event, 0 events arrived
          - #1 body equals "WARN slow disk password=hunter2", header level equals "WARN"
          + #1 (no event arrived)
        channel 'archive': expected 1 event, 1 event arrived
          - #1 body equals "WARN slow disk password=hunter2"
          + #1 body "WARN slow disk password=***" {timestamp=`);
    expect(stdout).to.contain('              body: expected equals "WARN slow disk password=hunter2"\n');
    expect(stdout).to.match(/2 tests: 1 passed, 1 failed\n$/);
  });
});
