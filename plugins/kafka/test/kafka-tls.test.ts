import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createHarness, type SuiteHarness, requirePeers } from '@sluice/testkit';
import { createEvent, errorCode } from '@sluice/core';
import { kafkaSink, type KafkaSink, type KafkaSinkConfig } from '../src/index.js';
import { configOf } from './helpers/test-cluster.js';

const run = promisify(execFile);

/** A self-signed certificate for `name`, written as `<prefix>.pem` and `<prefix>.key`. */
async function selfSigned(dir: string, prefix: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${prefix}.pem`);
  const key = join(dir, `${prefix}.key`);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, '-days', '1', '-addext', `subjectAltName=DNS:${name}`]);
  return { cert, key };
}

/**
 * openssl s_server as the TLS peer: it completes the handshake and prints whatever the client
 * sends afterwards. It speaks no Kafka, so a produce fails, but a Kafka request (which carries the
 * client id) showing up in its output proves the client verified the server and sent over TLS.
 */
class TlsPeer {
  output = '';
  private constructor(readonly child: ChildProcess, readonly port: number) {
    child.stdout!.on('data', (chunk: Buffer) => { this.output += chunk.toString('latin1'); });
  }

  static async start(cert: string, key: string): Promise<TlsPeer> {
    const child = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', cert, '-key', key], { stdio: ['pipe', 'pipe', 'pipe'] });
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer): void => {
        text += chunk.toString();
        const match = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(text);
        if (match) {
          child.stdout.off('data', onData);
          child.stderr.off('data', onData);
          resolve(Number(match[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`openssl s_server exited with ${code}: ${text}`)));
    });
    return new TlsPeer(child, port);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

describe('kafka TLS connection settings against openssl s_server', function () {
  before(function () { requirePeers(this, 'openssl'); });
  this.timeout(30000);
  let dir: string;
  let server: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  let peer: TlsPeer | undefined;
  let harness: SuiteHarness;
  let sink: KafkaSink | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-kafka-tls-'));
    server = await selfSigned(dir, 'server', 'kafka.test');
    stranger = await selfSigned(dir, 'stranger', 'kafka.test');
  });
  beforeEach(async () => {
    harness = await createHarness();
    peer = await TlsPeer.start(server.cert, server.key);
  });
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
    await harness.close();
    await peer?.stop();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function produceOnce(clientId: string, ca: string): Promise<unknown> {
    sink = kafkaSink.create(configOf<KafkaSinkConfig>(kafkaSink, {
      brokers: [`127.0.0.1:${peer!.port}`], clientId, topic: 't', ssl: { enabled: true, ca, servername: 'kafka.test' },
      connectionTimeout: '2s', requestTimeout: '2s', retry: { retries: 0, initialDelay: '100ms', maxDelay: '100ms' },
    }), harness.sinkContext()) as KafkaSink;
    await sink.start();
    const tx = harness.channel.transaction();
    tx.put([createEvent('over tls')]);
    await tx.commit();
    return sink.process().then(() => undefined, (error: unknown) => error);
  }

  it('verifies the broker against ssl.ca and ssl.servername and sends its requests over TLS', async () => {
    const failure = await produceOnce('sluice-tls-trusted', server.cert);
    expect(peer!.output, 'the Kafka request reached the TLS server').to.contain('sluice-tls-trusted');
    expect(errorCode(failure), 'the peer speaks no Kafka, so the batch is rolled back').to.equal('SLUICE_DELIVERY_FAILED');
    expect(harness.channel.size).to.equal(1);
  });

  it('refuses a broker whose certificate the CA did not sign, before sending anything', async () => {
    const failure = await produceOnce('sluice-tls-untrusted', stranger.cert);
    expect(errorCode(failure)).to.equal('SLUICE_DELIVERY_FAILED');
    expect(peer!.output).to.not.contain('sluice-tls-untrusted');
    expect(harness.channel.size).to.equal(1);
  });
});
