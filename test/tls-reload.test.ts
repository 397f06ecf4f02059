import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { expect } from 'chai';
import { requirePeers } from '@sluice/testkit';
import { AgentProcess, TempDir, type LogLine } from './helpers/agent-process.js';

/** A fresh self-signed certificate for CN=`name`: its PEM files and SHA-256 fingerprint as node prints it. */
function makeCertificate(dir: string, name: string): { cert: string; key: string; fingerprint: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`]);
  expect(made.status, String(made.stderr)).to.equal(0);
  const printed = spawnSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  return { cert, key, fingerprint: printed.stdout.trim().replace(/^.*=/, '') };
}

/** Opens a TLS connection (any certificate accepted) and resolves with it once the handshake is done. */
function connect(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The fingerprint of the certificate a listener serves to a new connection, read by `openssl s_client`. */
function servedByOpenssl(port: number): string {
  const client = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost'], { input: '', encoding: 'utf8', timeout: 10_000 });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(client.stdout)?.[0];
  expect(pem, `s_client output: ${client.stdout}${client.stderr}`).to.be.a('string');
  const printed = spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: pem, encoding: 'utf8' });
  return printed.stdout.trim().replace(/^.*=/, '');
}

/** The fingerprint of the certificate a listener serves to a new connection, read with node's tls. */
async function served(port: number): Promise<string> {
  const socket = await connect(port);
  const fingerprint = socket.getPeerCertificate().fingerprint256;
  socket.destroy();
  return fingerprint;
}

const LISTENERS = ['syslog', 'web', 'tier', 'thrifty'] as const;

describe('TLS certificate reload on SIGHUP: syslog_tcp, http, avro and thrift sources of a real sluice agent (openssl certificates)', function () {
  this.timeout(60_000);
  before(function () { requirePeers(this, 'openssl'); });
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.kill();
    dir.cleanup();
  });

  it('new connections get the new certificate, open ones keep working, and a bad file is logged while the previous certificate stays', async () => {
    const first = makeCertificate(dir.path, 'first');
    const second = makeCertificate(dir.path, 'second');
    const live = { cert: path.join(dir.path, 'live.pem'), key: path.join(dir.path, 'live.key'), keystore: path.join(dir.path, 'live-keystore.pem') };
    const install = (c: { cert: string; key: string }): void => {
      writeFileSync(live.cert, readFileSync(c.cert));
      writeFileSync(live.key, readFileSync(c.key));
      writeFileSync(live.keystore, Buffer.concat([readFileSync(c.key), readFileSync(c.cert)]));
    };
    install(first);
    const out = path.join(dir.path, 'out');
    const file = dir.write('tls.yaml', `
plugins: ['@sluice/plugin-syslog', '@sluice/plugin-http', '@sluice/plugin-avro', '@sluice/plugin-thrift']
agents:
  edge:
    sources:
      syslog: { type: syslog_tcp, port: 0, channels: [mem], tls: { enabled: true, cert: '${live.cert}', key: '${live.key}' } }
      web: { type: http, port: 0, channels: [mem], tls: { enabled: true, cert: '${live.cert}', key: '${live.key}' } }
      tier: { type: avro, port: 0, channels: [mem], ssl: true, keystoreType: pem, keystore: '${live.keystore}' }
      thrifty: { type: thrift, port: 0, channels: [mem], ssl: true, keystoreType: pem, keystore: '${live.keystore}' }
    channels:
      mem: { type: memory }
    sinks:
      files: { type: file_roll, channel: mem, directory: '${out}', rollInterval: '0', batchSize: 1 }
`);
    agent = AgentProcess.start(file, 'edge');
    await agent.started();
    const ports = Object.fromEntries(await Promise.all(LISTENERS.map(async (name) => [name, await agent!.portOf(name)] as const))) as Record<(typeof LISTENERS)[number], number>;
    for (const name of LISTENERS) expect(await served(ports[name]), name).to.equal(first.fingerprint);
    expect(servedByOpenssl(ports.web)).to.equal(first.fingerprint);
    // A syslog sender connected before the renewal.
    const before = await connect(ports.syslog);
    before.write('<14>Dec  2 07:00:00 host before-reload\n');

    install(second);
    agent.child.kill('SIGHUP');
    const reread = (n: number) => (l: LogLine) => l.msg === 'TLS certificates re-read' && agent!.logs.filter((m) => m.msg === 'TLS certificates re-read').indexOf(l) === n;
    const renewed = await agent.waitForLog(reread(0));
    expect(renewed).to.deep.include({ reloaded: [...LISTENERS], failed: [] });
    for (const name of LISTENERS) expect(await served(ports[name]), name).to.equal(second.fingerprint);
    expect(servedByOpenssl(ports.syslog)).to.equal(second.fingerprint);
    expect(agent.logs.filter((l) => /TLS certificate reloaded/.test(String(l.msg))).map((l) => l.fingerprint256)).to.deep.equal(LISTENERS.map(() => second.fingerprint));
    // The connection opened before keeps its certificate and still delivers.
    expect(before.getPeerCertificate().fingerprint256).to.equal(first.fingerprint);
    before.end('<14>Dec  2 07:00:01 host after-reload\n');

    // A broken certificate file and a keystore whose key does not match its certificate.
    writeFileSync(live.cert, 'not a certificate\n');
    writeFileSync(live.keystore, Buffer.concat([readFileSync(first.key), readFileSync(second.cert)]));
    agent.child.kill('SIGHUP');
    const refused = await agent.waitForLog(reread(1));
    expect(refused).to.deep.include({ reloaded: [], failed: [...LISTENERS] });
    const errors = agent.logs.filter((l) => /TLS certificate reload failed, still serving the previous certificate/.test(String(l.msg)));
    expect(errors.map((l) => l.component).sort()).to.deep.equal([...LISTENERS].sort());
    expect(errors.find((l) => l.component === 'web')?.msg).to.match(/no start line|PEM/);
    expect(errors.find((l) => l.component === 'tier')?.msg).to.match(/key values mismatch/);
    for (const name of LISTENERS) expect(await served(ports[name]), name).to.equal(second.fingerprint);

    expect(await agent.stop()).to.deep.equal({ code: 0, signal: null });
    const written = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8')).join('');
    expect(written).to.contain('before-reload').and.to.contain('after-reload');
  });
});
