import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createComponentContext, errorCode } from '@sluice/core';
import { kafkaClientConfig, kafkaSink, type KafkaConnectionConfig } from '../src/index.js';
import { configOf } from './helpers/test-cluster.js';

describe('kafka connection settings', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-kafka-conn-'));
    await writeFile(join(dir, 'ca.pem'), 'CA PEM');
    await writeFile(join(dir, 'client.pem'), 'CERT PEM');
    await writeFile(join(dir, 'client.key'), 'KEY PEM');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const ctx = () => createComponentContext({ name: 'k', kind: 'SINK' });

  it('defaults to plaintext without SASL and turns durations into milliseconds', () => {
    const options = kafkaClientConfig(configOf<KafkaConnectionConfig>(kafkaSink, {}), ctx());
    expect(options).to.include({ clientId: 'sluice', connectionTimeout: 10000, requestTimeout: 30000 });
    expect(options.brokers).to.deep.equal(['localhost:9092']);
    expect(options.retry).to.deep.equal({ retries: 5, initialRetryTime: 300, maxRetryTime: 30000 });
    expect(options.ssl).to.equal(undefined);
    expect(options.sasl).to.equal(undefined);
  });

  it('reads the TLS files and passes SASL credentials', () => {
    const options = kafkaClientConfig(configOf<KafkaConnectionConfig>(kafkaSink, {
      ssl: { enabled: true, ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key'), servername: 'kafka.internal' },
      sasl: { mechanism: 'scram-sha-256', username: 'agent', password: 'secret' },
    }), ctx());
    expect(options.ssl).to.deep.equal({ rejectUnauthorized: true, ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM', servername: 'kafka.internal' });
    expect(options.sasl).to.deep.equal({ mechanism: 'scram-sha-256', username: 'agent', password: 'secret' });
  });

  it('fails with SLUICE_COMPONENT_START when a TLS file cannot be read', () => {
    let failure: unknown;
    try {
      kafkaClientConfig(configOf<KafkaConnectionConfig>(kafkaSink, { ssl: { enabled: true, ca: join(dir, 'missing.pem') } }), ctx());
    } catch (error) {
      failure = error;
    }
    expect(errorCode(failure)).to.equal('SLUICE_COMPONENT_START');
  });

  it('rejects a broker address without a port in the schema', () => {
    expect(() => configOf(kafkaSink, { brokers: ['kafka1'] })).to.throw(TypeError, /brokers/);
  });
});
