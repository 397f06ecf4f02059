import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { expect } from 'chai';
import { isTlsReloadable, reloadServerTls, type Logger } from '../src/index.js';

/** A logger that keeps what it was asked to log. */
function recordingLogger(lines: { level: string; fields: Record<string, unknown>; msg: string }[]): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, fields, msg });
  const logger = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), child: () => logger };
  return logger as unknown as Logger;
}

/** The fingerprint of the certificate `server` serves to a new connection. */
function served(server: tls.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('reloadServerTls', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-reload-tls-'));
  const certs: Record<string, { cert: Buffer; key: Buffer }> = {};
  let server: tls.Server | undefined;
  before(function () {
    for (const name of ['a', 'b']) {
      const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.pem`), '-days', '1', '-subj', `/CN=${name}`]);
      if (made.error) this.skip(); // no openssl on this machine
      certs[name] = { cert: readFileSync(path.join(dir, `${name}.pem`)), key: readFileSync(path.join(dir, `${name}.key`)) };
    }
  });
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves new files to new connections, keeps the old ones when the new files are bad, and does nothing without servers', async () => {
    server = tls.createServer({ ...certs.a!, minVersion: 'TLSv1.2' }, (socket) => socket.end());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const fingerprint = (pem: Buffer): string => new X509Certificate(pem).fingerprint256;
    expect(await served(server)).to.equal(fingerprint(certs.a!.cert));
    const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
    const logger = recordingLogger(lines);

    expect(await reloadServerTls([server], () => ({ ...certs.b!, minVersion: 'TLSv1.2' }), logger, "http source 'web'")).to.equal('reloaded');
    expect(await served(server)).to.equal(fingerprint(certs.b!.cert));
    expect(lines.at(-1)).to.deep.include({ level: 'info', msg: "http source 'web': TLS certificate reloaded; new connections get it" });
    expect(lines.at(-1)!.fields.fingerprint256).to.equal(fingerprint(certs.b!.cert));

    // A key that does not match its certificate, and files that cannot be read: the certificate stays.
    expect(await reloadServerTls([server], () => ({ cert: certs.a!.cert, key: certs.b!.key }), logger, "http source 'web'")).to.equal('kept');
    expect(lines.at(-1)!.level).to.equal('error');
    expect(lines.at(-1)!.msg).to.match(/TLS certificate reload failed, still serving the previous certificate: .*key values mismatch/);
    expect(await reloadServerTls([server], () => { throw Object.assign(new Error('cannot read'), { code: 'SLUICE_COMPONENT_START' }); }, logger, "http source 'web'")).to.equal('kept');
    expect(lines.at(-1)!.fields.code).to.equal('SLUICE_COMPONENT_START');
    expect(await served(server)).to.equal(fingerprint(certs.b!.cert));

    let read = false;
    expect(await reloadServerTls([], () => { read = true; return {}; }, logger, 'x')).to.equal('off');
    expect(read).to.equal(false);
  });

  it('isTlsReloadable tells components with reloadTls from others', () => {
    expect(isTlsReloadable({ reloadTls: async () => 'off' })).to.equal(true);
    expect(isTlsReloadable({ name: 'x' })).to.equal(false);
    expect(isTlsReloadable(undefined)).to.equal(false);
  });
});
