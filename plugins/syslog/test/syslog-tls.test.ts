import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { SyslogTcpSource } from '../src/index.js';
import { collectEvents, takeAll, requirePeers } from '@sluice/testkit';
import { startTcp, TCP_DEFAULTS, type Running } from './helpers.js';

const run = promisify(execFile);

/** Self-signed server and client certificates made by the openssl CLI; each trusts the other's. */
async function makeCertificates(dir: string): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', path.join(dir, 'server.key'), '-out', path.join(dir, 'server.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  await run('openssl', ['req', '-x509', ...ec, '-keyout', path.join(dir, 'client.key'), '-out', path.join(dir, 'client.pem'), '-subj', '/CN=sluice-client']);
}

/** Runs `openssl s_client`, writes `input`, closes stdin; resolves with its exit code and output. */
function sClient(port: number, extra: string[], input: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-no_ign_eof', ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.once('close', (code) => { // 'exit' may precede the last output
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(input);
  });
}

describe('syslog_tcp over TLS (RFC 5425)', function () {
  before(function () { requirePeers(this, 'openssl'); });
  this.timeout(30000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-syslog-tls-'));
  const file = (name: string): string => path.join(dir, name);
  let running: Running<SyslogTcpSource> | undefined;
  before(() => makeCertificates(dir));
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const tlsConfig = (requireClientCert: boolean) => ({
    tls: { enabled: true, cert: file('server.pem'), key: file('server.key'), ca: requireClientCert ? file('client.pem') : '', requireClientCert },
  });

  it('receives octet-counted messages from openssl s_client', async () => {
    running = await startTcp(tlsConfig(false));
    const messages = ['<14>1 2026-01-02T03:04:05Z h app - - - over tls one', '<14>1 2026-01-02T03:04:05Z h app - - - over tls two'];
    const { code, output } = await sClient(running.source.port, ['-CAfile', file('server.pem'), '-verify_return_error'], messages.map((m) => `${m.length} ${m}`).join(''));
    expect(code, output).to.equal(0);
    const events = await collectEvents(running.harness, 2);
    expect(events.map((e) => e.body.toString())).to.deep.equal(['app - - - over tls one', 'app - - - over tls two']);
    expect(events[0]!.headers).to.include({ host: 'h', appName: 'app', Facility: '1', Severity: '6' });
  });

  it('accepts a client certificate signed by the configured CA (openssl s_client -cert)', async () => {
    running = await startTcp(tlsConfig(true));
    const { code, output } = await sClient(running.source.port, ['-CAfile', file('server.pem'), '-cert', file('client.pem'), '-key', file('client.key')], '<13>Jan  2 03:04:05 h app: with cert\n');
    expect(code, output).to.equal(0);
    const [event] = await collectEvents(running.harness, 1);
    expect(event!.body.toString()).to.equal('app: with cert');
  });

  it('refuses a client without a certificate when requireClientCert is set, and commits nothing it sent', async () => {
    running = await startTcp(tlsConfig(true));
    await sClient(running.source.port, ['-CAfile', file('server.pem')], '<13>Jan  2 03:04:05 h app: no cert\n');
    // The server ends the connection during or right after the handshake (TLS 1.3 sends the
    // alert after the client finished); either way nothing the client wrote may arrive.
    await new Promise<void>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: running!.source.port, ca: readFileSync(file('server.pem')) }, () => socket.write('<13>Jan  2 03:04:05 h app: node no cert\n'));
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.resume();
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await takeAll(running.harness)).to.deep.equal([]);
    expect(running.harness.channel.size).to.equal(0);
    expect(running.ctx.metrics.get('TlsHandshakeFailCount')).to.be.at.least(2);
  });

  it('fails to start with SLUICE_COMPONENT_START when a PEM file is missing', async () => {
    let failure: unknown;
    try {
      running = await startTcp({ tls: { ...TCP_DEFAULTS.tls, enabled: true, cert: file('missing.pem'), key: file('server.key') } });
    } catch (error) {
      failure = error;
    }
    expect((failure as { code?: string }).code).to.equal('SLUICE_COMPONENT_START');
  });
});
