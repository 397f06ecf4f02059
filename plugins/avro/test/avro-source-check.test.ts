import { expect } from 'chai';
import { errorCode, type Problem } from '@sluice/core';
import { createHarness } from '@sluice/testkit';
import { avroSource, type AvroSourceConfig } from '../src/index.js';

const BASE: AvroSourceConfig = {
  bind: '127.0.0.1', port: 0, compressionType: 'none', compressionLevel: 6, ssl: false, keystore: '', keystorePassword: '',
  keystoreType: 'pkcs12', ipFilter: false, ipFilterRules: '', maxFrameSize: '64MiB', maxPendingBytes: '128MiB', frameTimeout: '30s', idleTimeout: '10m', maxBatchEvents: 100000, maxConnections: 1000,
};

describe('avro source check()', () => {
  /** check() finds one problem at `path`; the constructor refuses the config with the same message. */
  async function expectSameMistake(config: AvroSourceConfig, path: string): Promise<Problem> {
    const problems = avroSource.check!(config);
    expect(problems.map((p) => p.path)).to.deep.equal([path]);
    const harness = await createHarness();
    let thrown: Error | undefined;
    try {
      avroSource.create(config, harness.sourceContext('r1'));
    } catch (error) {
      thrown = error as Error;
    }
    expect(errorCode(thrown), 'create() throws').to.equal('SLUICE_CONFIG_INVALID');
    expect(thrown!.message).to.equal(`avro source 'r1': ${problems[0]!.message}`);
    return problems[0]!;
  }

  it('reports an ipFilterRules entry that does not parse, at /ipFilterRules', async () => {
    const problem = await expectSameMistake({ ...BASE, ipFilter: true, ipFilterRules: 'allow:ip:10.*,permit:ip:*' }, '/ipFilterRules');
    expect(problem.message).to.contain("ipFilterRules entry 'permit:ip:*' should look like allow:ip:10.*");
  });

  it('reports ipFilter without rules, at /ipFilterRules', async () => {
    await expectSameMistake({ ...BASE, ipFilter: true, ipFilterRules: ' , ' }, '/ipFilterRules');
  });

  it('reports ssl without a keystore, at /keystore, without reading any file', async () => {
    await expectSameMistake({ ...BASE, ssl: true }, '/keystore');
    expect(avroSource.check!({ ...BASE, ssl: true, keystore: '/no/such/keystore.p12' }), 'a missing file is a start-time error').to.deep.equal([]);
  });

  it('finds nothing in a valid config, and ignores rules while ipFilter is off', () => {
    expect(avroSource.check!({ ...BASE, ipFilter: true, ipFilterRules: 'allow:name:localhost,deny:ip:*' })).to.deep.equal([]);
    expect(avroSource.check!({ ...BASE, ipFilterRules: 'not a rule' })).to.deep.equal([]);
    expect(avroSource.check!(BASE)).to.deep.equal([]);
  });
});
