import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { errorCode, loadServerTls, serverTlsProblems, type ServerTlsConfig } from '../src/index.js';

const off: ServerTlsConfig = { enabled: false, cert: '', key: '', ca: '', requireClientCert: false };

async function startError(config: ServerTlsConfig): Promise<unknown> {
  try {
    await loadServerTls(config, "http source 'web'");
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('serverTlsProblems and loadServerTls', () => {
  it('finds nothing wrong with TLS off, or on with its files named', () => {
    expect(serverTlsProblems(off)).to.deep.equal([]);
    expect(serverTlsProblems({ enabled: true, cert: 'a.pem', key: 'a.key', ca: 'ca.pem', requireClientCert: true })).to.deep.equal([]);
  });

  it('reports every mistake at once, and loadServerTls throws the same ones at start before reading any file', async () => {
    const config = { ...off, enabled: true, requireClientCert: true };
    const problems = serverTlsProblems(config);
    expect(problems.map((p) => p.path)).to.deep.equal(['/tls/cert', '/tls/key', '/tls/ca']);
    const error = await startError(config);
    expect(errorCode(error)).to.equal('SLUICE_CONFIG_INVALID');
    expect((error as Error).message).to.equal(`http source 'web': ${problems.map((p) => p.message).join('; ')}`);
  });

  it('reports requireClientCert with TLS off, which would silently check nothing', () => {
    expect(serverTlsProblems({ ...off, requireClientCert: true, ca: 'ca.pem' }).map((p) => p.path)).to.deep.equal(['/tls/requireClientCert']);
  });

  it('names the file loadServerTls cannot read', async () => {
    const error = await startError({ ...off, enabled: true, cert: '/nonexistent/server.pem', key: '/nonexistent/server.key' });
    expect(errorCode(error)).to.equal('SLUICE_COMPONENT_START');
    expect((error as Error).message).to.contain("cannot read tls.cert file '/nonexistent/server.pem'");
  });

  it('asks for TLS 1.2 at least, whatever node\'s --tls-min-v1.x flags set as the default', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-tls-'));
    try {
      for (const name of ['server.pem', 'server.key']) writeFileSync(path.join(dir, name), 'placeholder: loadServerTls only reads the files');
      const options = await loadServerTls({ ...off, enabled: true, cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') }, "http source 'web'");
      expect(options.minVersion).to.equal('TLSv1.2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
