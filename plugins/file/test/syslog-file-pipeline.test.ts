import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runAgent, type RunningAgent, requirePeers } from '@sluice/testkit';
import { systemCommand } from './system-command.js';
import type { SluiceEvent } from '@sluice/core';

const run = promisify(execFile);

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('taildir + log_to_json on a file written by the real rsyslogd, fed by logger', function () {
  before(function () { requirePeers(this, 'rsyslog', 'logger'); });
  this.timeout(30000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-rsyslog-'));
  let rsyslogd: ChildProcess | undefined;
  let agent: RunningAgent | undefined;

  after(async () => {
    await agent?.stop(0);
    rsyslogd?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('turns each RFC 3164 line rsyslog writes into a JSON event with timestamp, hostname, program, processid, message', async () => {
    const port = await freeUdpPort();
    const log = path.join(dir, 'messages.log');
    const conf = path.join(dir, 'rsyslog.conf');
    writeFileSync(conf, [
      `global(workDirectory="${dir}")`,
      'module(load="imudp")',
      `input(type="imudp" address="127.0.0.1" port="${port}")`,
      `*.* action(type="omfile" file="${log}" template="RSYSLOG_TraditionalFileFormat")`,
    ].join('\n'));
    rsyslogd = spawn(systemCommand('rsyslogd'), ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
    let spawnError: Error | undefined;
    rsyslogd.on('error', (error) => (spawnError = error));
    agent = await runAgent(`
agents:
  edge:
    dataDir: ${path.join(dir, 'agent-data')}
    sources:
      syslog-file:
        type: taildir
        filegroups: { sys: "${dir}/*.log" }
        pollInterval: 50ms
        channels: [mem]
        interceptors: [{ type: log_to_json, logFormat: RFC3164SYSLOG }]
    channels:
      mem: { type: memory }
`);
    const messages = ['first   message  with odd spacing', 'second: has a colon', 'third [bracketed] text'];
    // rsyslog may need a moment before its UDP input listens: resend until the file has the first line.
    const deadline = Date.now() + 10000;
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('probe'))) {
      if (spawnError) throw spawnError;
      if (Date.now() > deadline) throw new Error('rsyslogd did not write the probe line');
      await run('logger', ['-n', '127.0.0.1', '-P', String(port), '-d', '--rfc3164', '-t', 'probe', 'probe']);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const m of messages) await run('logger', ['-n', '127.0.0.1', '-P', String(port), '-d', '--rfc3164', '-t', 'myapp', '-i', '--', m]);
    const channel = agent.agent.channels.get('mem')!;
    const events: SluiceEvent[] = [];
    await waitFor(() => {
      void (async () => {
        const tx = channel.transaction();
        events.push(...(await tx.take(100)));
        await tx.commit();
      })();
      return events.filter((e) => e.body.toString().includes('myapp')).length >= 3;
    }, 'three myapp events');
    const records = events.map((e) => JSON.parse(e.body.toString()) as Record<string, string | null>).filter((r) => r.program === 'myapp');
    expect(records.map((r) => r.message)).to.deep.equal(messages);
    for (const record of records) {
      expect(record.timestamp).to.match(/^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}$/);
      expect(record.hostname).to.be.a('string').and.not.equal('');
      expect(record.processid).to.match(/^\d+$/);
    }
  });
});
