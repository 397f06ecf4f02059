import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SyslogTcpSource } from '../src/index.js';
import { collectEvents, requirePeers } from '@sluice/testkit';
import { startTcp, type Running } from './helpers.js';

/** rsyslogd lives in /usr/sbin, which is not on every user's PATH. */
const RSYSLOGD = existsSync('/usr/sbin/rsyslogd') ? '/usr/sbin/rsyslogd' : 'rsyslogd';

/**
 * rsyslog (the Debian package) runs in the foreground with a private config: it tails a file
 * with imfile and forwards every line with omfwd to our sources, once octet-counted as RFC 5424
 * and once newline-framed in the traditional RFC 3164 format. No system sockets are used.
 */
describe('syslog_tcp receiving from rsyslog (omfwd)', function () {
  before(function () { requirePeers(this, 'rsyslog'); });
  this.timeout(30000);
  const LINES = 500;
  let dir = '';
  let rsyslog: ChildProcess | undefined;
  let rsyslogErr = '';
  let octet: Running<SyslogTcpSource> | undefined;
  let newline: Running<SyslogTcpSource> | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-rsyslog-'));
    mkdirSync(path.join(dir, 'work'));
    octet = await startTcp();
    newline = await startTcp();
    const input = path.join(dir, 'input.log');
    writeFileSync(input, '');
    const conf = path.join(dir, 'rsyslog.conf');
    writeFileSync(conf, `
global(workDirectory="${dir}/work")
module(load="imfile")
input(type="imfile" File="${input}" Tag="rsyslogtest:" Facility="local0" Severity="info")
action(type="omfwd" target="127.0.0.1" port="${octet.source.port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
action(type="omfwd" target="127.0.0.1" port="${newline.source.port}" protocol="tcp" template="RSYSLOG_TraditionalForwardFormat")
`);
    rsyslog = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    rsyslog.stderr!.on('data', (chunk: Buffer) => (rsyslogErr += chunk.toString()));
    appendFileSync(input, Array.from({ length: LINES }, (_, i) => `rsyslog line ${i}\n`).join(''));
  });

  after(async () => {
    if (rsyslog && rsyslog.exitCode === null) {
      const exited = new Promise((resolve) => rsyslog!.once('exit', resolve));
      rsyslog.kill('SIGTERM');
      await exited;
    }
    await octet?.close();
    await newline?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const expected = Array.from({ length: LINES }, (_, i) => `rsyslog line ${i}`);

  it('receives every line forwarded octet-counted as RFC 5424, with its headers', async () => {
    const events = await collectEvents(octet!.harness, LINES, 20000).catch((error: Error) => { throw new Error(`${error.message}; rsyslogd said: ${rsyslogErr}`); });
    // As in Flume, an RFC 5424 body is everything after the host name: APP-NAME PROCID MSGID SD MSG.
    expect(events.map((e) => e.body.toString())).to.deep.equal(expected.map((line) => `rsyslogtest - - - ${line}`));
    for (const event of events) {
      expect(event.headers).to.include({ Facility: '16', Severity: '6', appName: 'rsyslogtest' });
      expect(event.headers.host).to.be.a('string').and.not.equal('');
      expect(event.headers).to.not.have.property('flume.syslog.status');
    }
  });

  it('receives every line forwarded newline-framed in the traditional RFC 3164 format', async () => {
    const events = await collectEvents(newline!.harness, LINES, 20000);
    expect(events.map((e) => e.body.toString())).to.deep.equal(expected.map((line) => `rsyslogtest: ${line}`));
    for (const event of events) expect(event.headers).to.include({ Facility: '16', Severity: '6', appName: 'rsyslogtest' });
  });
});
