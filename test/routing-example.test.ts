import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { nc } from './helpers/nc-rounds.js';
import { requirePeers } from '@sluice/testkit';

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/routing');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function lines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
}

async function until(check: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('examples/routing', function () {
  before(function () { requirePeers(this, 'nc'); });
  this.timeout(60000);
  const dir = new TempDir();
  const agents: AgentProcess[] = [];
  after(async () => {
    for (const agent of agents) await agent.kill();
    dir.cleanup();
  });

  it('routes by level, masks passwords, archives through the failover group and serves its metrics', async () => {
    const env = { MAIN_PORT: String(await freePort()), STANDBY_PORT: String(await freePort()), ROUTER_PORT: '0', MONITORING_PORT: '0', OUT_DIR: dir.path };
    const main = AgentProcess.start(path.join(EXAMPLE, 'collectors.yaml'), 'main', { cwd: dir.path, env });
    const standby = AgentProcess.start(path.join(EXAMPLE, 'collectors.yaml'), 'standby', { cwd: dir.path, env });
    agents.push(main, standby);
    await Promise.all([main.started(), standby.started()]);
    const router = AgentProcess.start(path.join(EXAMPLE, 'router.yaml'), 'router', { cwd: dir.path, env });
    agents.push(router);
    const port = await router.portOf('lines');
    const monitoring = await router.portOf('monitoring');
    const sent = ['INFO started', 'ERROR disk full password=hunter2', 'WARN slow', 'plain line'];
    const { replies } = await nc(port, sent);
    expect(replies).to.deep.equal(['OK', 'OK', 'OK', 'OK']);

    await until(() => lines(path.join(dir.path, 'main')).length === 4, 'the archive to reach the main collector');
    expect(lines(path.join(dir.path, 'main'))).to.deep.equal(['INFO started', 'ERROR disk full password=***', 'WARN slow', 'plain line']);
    expect(lines(path.join(dir.path, 'standby'))).to.deep.equal([]);
    const alert = await router.waitForLog((l) => l.component === 'alert-log' && l.msg === 'event');
    expect(alert.body).to.equal('ERROR disk full password=***');
    expect(alert.headers).to.include({ level: 'ERROR', dc: 'eu-west-1' });
    expect(router.logs.filter((l) => l.component === 'alert-log' && l.msg === 'event')).to.have.length(1);

    const metrics = (await (await fetch(`http://127.0.0.1:${monitoring}/metrics`)).json()) as Record<string, Record<string, string>>;
    expect(metrics['SOURCE.lines']).to.include({ EventAcceptedCount: '4' });
    expect(metrics['SINK.to-main']).to.include({ EventDrainSuccessCount: '4' });
    expect(metrics['CHANNEL.alerts']).to.include({ EventPutSuccessCount: '1' });
    expect((await fetch(`http://127.0.0.1:${monitoring}/health`)).status).to.equal(200);
    expect(await router.stop()).to.deep.equal({ code: 0, signal: null });
  });
});
