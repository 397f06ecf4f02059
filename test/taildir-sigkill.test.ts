import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { requirePeers } from '@sluice/testkit';

/** Numbered lines appended through an O_APPEND descriptor a few every 2 ms, like an application logging. */
class LogWriter {
  next = 0;
  private fd: number;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly file: string) {
    this.fd = openSync(file, 'a');
    this.timer = setInterval(() => this.write(3), 2);
  }
  private write(n: number): void {
    let chunk = '';
    for (let i = 0; i < n; i++, this.next++) chunk += `seq ${String(this.next).padStart(8, '0')} ${'y'.repeat(this.next % 40)}\n`;
    writeSync(this.fd, chunk);
  }
  /** What a postrotate signal makes an application do after logrotate `create`. */
  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
  }
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    closeSync(this.fd);
  }
}

function delivered(dir: string): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(dir)) return counts;
  for (const name of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      const match = /^seq (\d{8}) y*$/.exec(line);
      if (match) counts.set(Number(match[1]), (counts.get(Number(match[1])) ?? 0) + 1);
    }
  }
  return counts;
}

describe('taildir survives SIGKILL of the agent @slow', function () {
  before(function () { requirePeers(this, 'logrotate'); });
  this.timeout(120000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  let writer: LogWriter | undefined;
  after(async () => {
    writer?.stop();
    await agent?.kill();
    dir.cleanup();
  });

  it('delivers every line at least once after 20 kill -9 rounds while a writer appends and logrotate rotates', async () => {
    const logs = path.join(dir.path, 'logs');
    const out = path.join(dir.path, 'out');
    mkdirSync(logs);
    const conf = path.join(dir.path, 'logrotate.conf');
    writeFileSync(conf, `${logs}/app.log {\n  create\n  rotate 100\n  missingok\n  nocompress\n}\n`);
    const rotate = async (): Promise<void> => {
      await promisify(execFile)(existsSync('/usr/sbin/logrotate') ? '/usr/sbin/logrotate' : 'logrotate', ['-f', '-s', path.join(dir.path, 'logrotate.state'), conf]);
      writer!.reopen();
    };
    const topology = dir.write('tail.yaml', `agents:
  edge:
    sources:
      tail: { type: taildir, filegroups: { app: "${logs}/app.log*" }, positionFile: ${dir.path}/positions.json, batchSize: 100, pollInterval: 100ms, channels: [disk] }
    channels:
      disk: { type: file, dataDir: ${dir.path}/channel, minFreeSpace: '0', transactionCapacity: 1000 }
    sinks:
      files: { type: file_roll, channel: disk, directory: ${out}, rollInterval: 1h, batchSize: 100 }
`);
    writer = new LogWriter(path.join(logs, 'app.log'));
    for (let round = 0; round < 20; round++) {
      agent = AgentProcess.start(topology, 'edge');
      await agent.started();
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 250)));
      if (round % 5 === 1) await rotate(); // while the agent runs
      await agent.kill();
      agent = undefined;
      if (round % 5 === 3) await rotate(); // while it is down
    }
    agent = AgentProcess.start(topology, 'edge');
    await agent.started();
    await new Promise((resolve) => setTimeout(resolve, 200));
    writer.stop();
    const written = writer.next;
    writer = undefined;
    const deadline = Date.now() + 30000;
    let counts = delivered(out);
    while (counts.size < written && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      counts = delivered(out);
    }
    const status = await agent.stop('SIGTERM');
    agent = undefined;
    expect(status.code).to.equal(0);
    counts = delivered(out);
    const missing = Array.from({ length: written }, (_, i) => i).filter((i) => !counts.has(i));
    expect(missing, `of ${written} lines`).to.deep.equal([]);
    // A crash may repeat the batch in flight at the source and at the sink (100 + 100 lines).
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).to.be.at.most(20 * 200);
  });
});
