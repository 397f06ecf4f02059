import { expect } from 'chai';
import { isAllowed, parseIpFilterRules } from '../src/index.js';

describe('ipFilterRules (Flume syntax)', () => {
  it('matches * and ? wildcards, first matching rule wins, no match allows', async () => {
    const rules = parseIpFilterRules('allow:ip:10.0.0.?, deny:ip:10.*,allow:ip:192.168.*');
    expect(await isAllowed(rules, '10.0.0.7')).to.equal(true);
    expect(await isAllowed(rules, '10.0.0.17')).to.equal(false);
    expect(await isAllowed(rules, '::ffff:10.1.2.3')).to.equal(false);
    expect(await isAllowed(rules, '192.168.1.1')).to.equal(true);
    expect(await isAllowed(rules, '172.16.0.1'), 'no rule matches').to.equal(true);
    expect(await isAllowed(parseIpFilterRules('deny:ip:*'), '127.0.0.1')).to.equal(false);
  });

  it('treats dots literally and matches name rules against localhost for loopback peers', async () => {
    expect(await isAllowed(parseIpFilterRules('deny:ip:127.0.0.1'), '127.0.0.10')).to.equal(true);
    expect(await isAllowed(parseIpFilterRules('deny:ip:1.2.3.4'), '1a2b3c4')).to.equal(true);
    expect(await isAllowed(parseIpFilterRules('deny:name:localhost'), '127.0.0.1')).to.equal(false);
    expect(await isAllowed(parseIpFilterRules('deny:name:LOCALHOST,allow:ip:*'), '::1')).to.equal(false);
  });

  it('rejects malformed rules with SLUICE_CONFIG_INVALID', () => {
    for (const bad of ['allow:127.*', 'permit:ip:*', 'allow:host:x', 'deny:ip:']) {
      expect(() => parseIpFilterRules(bad), bad).to.throw().with.property('code', 'SLUICE_CONFIG_INVALID');
    }
  });
});
