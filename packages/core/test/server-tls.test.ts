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
});
