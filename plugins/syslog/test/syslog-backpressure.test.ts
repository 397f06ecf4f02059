import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SyslogTcpSource } from '../src/index.js';
import { takeAll, requirePeers } from '@sluice/testkit';
import { startTcp, type Running } from './helpers.js';

describe('syslog_tcp backpressure with a full channel @slow', function () {
  before(function () { requirePeers(this, 'logger'); });
  this.timeout(60000);
  const LINES = 60000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-syslog-bp-'));
  let running: Running<SyslogTcpSource> | undefined;
  let child: ChildProcess | undefined;
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops reading so logger blocks (no unbounded buffering), then delivers all 60000 lines once drained', async () => {
    running = await startTcp({ batchSize: 500 }, 1000);
    const file = path.join(dir, 'lines.txt');
    // ~54 MB, far more than loopback socket buffers hold even on tuned hosts (tcp_rmem + tcp_wmem).
    writeFileSync(file, Array.from({ length: LINES }, (_, i) => `bp-${i} ${'y'.repeat(880)}`).join('\n') + '\n');
    child = spawn('logger', ['-n', '127.0.0.1', '-P', String(running.source.port), '-T', '--octet-count', '-t', 'bp', '--size', '1024', '-f', file], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    // The channel fills until the next 500-event slice no longer fits.
    while (running.harness.channel.size <= 500) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(running.harness.channel.size, 'the channel is full').to.be.within(501, 1000);
    expect(exitedEarly, 'logger must still be blocked while the channel is full').to.equal(false);
    const seen = new Set<string>();
    let total = 0;
    let done = false;
    void exited.then(() => (done = true));
    while (!done || running.harness.channel.size > 0 || total < LINES) {
      for (const event of await takeAll(running.harness)) {
        total++;
        seen.add(/bp-\d+/.exec(event.body.toString('latin1'))![0]);
      }
      if (done && total >= LINES) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await exited).to.equal(0);
    expect(seen.size).to.equal(LINES);
    expect(total).to.equal(LINES);
  });
});
