import { expect } from 'chai';
import { parseTopology, validateTopology } from '../src/index.js';
import { builtins } from './lookup.js';

const AGENT = `
agents:
  a1:
    sources: { s: { type: seq, channels: [c] } }
    channels: { c: { type: memory } }
    sinks: { k: { type: logger, channel: c } }
`;

describe('monitoring.http.tap and the tests: key', () => {
  it('tap is off unless set to true', () => {
    const off = validateTopology(parseTopology(`${AGENT}monitoring: { http: { port: 0 } }\n`), builtins);
    expect(off.model!.monitoring.http).to.deep.equal({ port: 0, host: '127.0.0.1', tap: false });
    const on = validateTopology(parseTopology(`${AGENT}monitoring: { http: { port: 0, tap: true } }\n`), builtins);
    expect(on.model!.monitoring.http!.tap).to.equal(true);
  });

  it('tap must be a boolean, not a string', () => {
    const { problems } = validateTopology(parseTopology(`${AGENT}monitoring: { http: { port: 0, tap: "true" } }\n`), builtins);
    expect(problems).to.deep.equal([{ path: '/monitoring/http/tap', message: 'must be true or false', hint: 'tap: true serves GET /tap for `sluice tap`' }]);
  });

  it('token is a string taken from the environment; without it there is none', () => {
    const withToken = validateTopology(parseTopology(`${AGENT}monitoring: { http: { port: 0, token: "\${TOKEN}" } }\n`, 'topology.yaml', { env: { TOKEN: 'abc' } }), builtins);
    expect(withToken.model!.monitoring.http).to.deep.equal({ port: 0, host: '127.0.0.1', tap: false, token: 'abc' });
    const bad = validateTopology(parseTopology(`${AGENT}monitoring: { http: { port: 0, token: 42 } }\n`), builtins);
    expect(bad.problems.map((p) => p.path)).to.deep.equal(['/monitoring/http/token']);
  });

  it('accepts a top-level tests: list (sluice test checks its content)', () => {
    const { problems } = validateTopology(parseTopology(`${AGENT}tests: []\n`), builtins);
    expect(problems).to.deep.equal([]);
  });
});
