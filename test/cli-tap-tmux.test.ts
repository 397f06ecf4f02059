import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AgentProcess, SLUICE_BIN, TempDir } from './helpers/agent-process.js';
import { freePort } from './helpers/free-port.js';
import { nc } from './helpers/nc-rounds.js';
import { requirePeers } from '@sluice/testkit';

const ROUTER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/routing/router.yaml');

/** tmux on a private server socket, so the test never touches anyone's sessions. */
function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

async function until(check: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('sluice tap in a terminal (tmux)', function () {
  this.timeout(60000);
  const dir = new TempDir();
  const socket = `sluice-tap-test-${process.pid}`;
  let router: AgentProcess | undefined;

  before(function () {
    requirePeers(this, 'tmux');
  });

  after(async () => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    await router?.kill();
    dir.cleanup();
  });

  it('shows live events from a running agent on the screen and quits on Ctrl-C', async () => {
    const monitoring = await freePort();
    const env = { ROUTER_PORT: '0', MONITORING_PORT: String(monitoring), MAIN_PORT: String(await freePort()), STANDBY_PORT: String(await freePort()), OUT_DIR: dir.path };
    router = AgentProcess.start(ROUTER, 'router', { cwd: dir.path, env });
    const port = await router.portOf('lines');
    await router.portOf('monitoring');

    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(SLUICE_BIN)} tap --url http://127.0.0.1:${monitoring} lines:interceptors alert-log; echo "tap exited $?"; sleep 30`;
    tmux(socket, 'new-session', '-d', '-s', 'tap', '-x', '220', '-y', '50', command);
    const screen = (): string => tmux(socket, 'capture-pane', '-p', '-J', '-t', 'tap');
    await until(() => screen().includes('Ctrl-C to stop'), 'sluice tap to attach');

    expect((await nc(port, ['WARN disk 91% full', 'ERROR disk full password=hunter2'])).replies).to.deep.equal(['OK', 'OK']);
    await until(() => screen().includes('into sink alert-log'), 'the events on the screen');
    const lines = screen().split('\n');
    expect(lines.some((l) => /out of interceptors of lines \{.*dc=eu-west-1, level=WARN\} WARN disk 91% full$/.test(l))).to.equal(true, screen());
    expect(lines.some((l) => /out of interceptors of lines \{.*level=ERROR\} ERROR disk full password=\*\*\*$/.test(l))).to.equal(true, screen());
    expect(lines.some((l) => /into sink alert-log \{.*level=ERROR\} ERROR disk full password=\*\*\*$/.test(l))).to.equal(true, screen());
    expect(screen()).not.to.contain('hunter2');

    tmux(socket, 'send-keys', '-t', 'tap', 'C-c');
    await until(() => screen().includes('tap exited'), 'sluice tap to quit on Ctrl-C');
    expect(screen()).to.contain('tap exited 0');
  });
});
