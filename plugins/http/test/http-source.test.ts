import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { Source } from '@sluice/core';
import { sourceSuite, takeAll, requirePeers } from '@sluice/testkit';
import { httpSource, type HttpSource } from '../src/index.js';
import { curl, flumeBatch, SOURCE_DEFAULTS, startSource, type RunningSource } from './helpers.js';

const JSON_TYPE = ['-H', 'Content-Type: application/json'];

describe('http source with curl', () => {
  before(function () { requirePeers(this, 'curl'); });
  let running: RunningSource | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('answers 200 to a Flume-format batch and commits every event with its headers', async () => {
    running = await startSource();
    const batch = JSON.stringify([
      { headers: { host: 'web1', timestamp: '434324343' }, body: 'first event' },
      { headers: { level: 'info' }, body: 'zweites Ereignis ü' },
      { body: 'no headers' },
    ]);
    const res = await curl([...JSON_TYPE, '--data-binary', '@-', running.url], batch);
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.body)).to.deep.equal({ accepted: 3 });
    const events = await takeAll(running.harness);
    expect(events.map((e) => [e.headers, e.body.toString('utf8')])).to.deep.equal([
      [{ host: 'web1', timestamp: '434324343' }, 'first event'],
      [{ level: 'info' }, 'zweites Ereignis ü'],
      [{}, 'no headers'],
    ]);
  });

  it('answers 400 to malformed JSON or a body that is not an array of events, committing nothing', async () => {
    running = await startSource();
    for (const body of ['[{"headers":{}, "body": "x"', '{"body":"not an array"}', '[{"headers":{"a":{"nested":1}},"body":"x"}]', '[{"body": 5}]']) {
      const res = await curl([...JSON_TYPE, '--data-binary', '@-', running.url], body);
      expect(res.status, body).to.equal(400);
      expect(JSON.parse(res.body).error).to.equal('BAD_REQUEST');
    }
    expect(running.harness.channel.size).to.equal(0);
    const errors = running.harness.events.filter((e) => e.type === 'component.error');
    expect(errors.map((e) => [e.component, (e.error as { code?: string }).code])).to.deep.equal(Array(4).fill(['http-in', 'SLUICE_PROTOCOL']));
  });

  it('answers 413 to a body over maxBodySize, with and without Expect: 100-continue', async () => {
    running = await startSource({ maxBodySize: '1KiB' });
    const big = flumeBatch(['x'.repeat(4000)]);
    const small = await curl([...JSON_TYPE, '--data-binary', '@-', running.url], flumeBatch(['fits']));
    expect(small.status).to.equal(200);
    const res = await curl([...JSON_TYPE, '--data-binary', '@-', running.url], big);
    expect(res.status).to.equal(413);
    const expecting = await curl([...JSON_TYPE, '-H', 'Expect: 100-continue', '--data-binary', '@-', running.url], big);
    expect(expecting.status).to.equal(413);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['fits']);
  });

  it('answers 503 when the channel is full and commits nothing from that request', async () => {
    running = await startSource({}, 5);
    const first = await curl([...JSON_TYPE, '--data-binary', '@-', running.url], flumeBatch(['a1', 'a2', 'a3', 'a4']));
    expect(first.status).to.equal(200);
    const refused = await curl([...JSON_TYPE, '--data-binary', '@-', '-D', '-', running.url], flumeBatch(['b1', 'b2']));
    expect(refused.status).to.equal(503);
    expect(refused.body).to.match(/Retry-After: 1/i);
    expect(refused.body).to.include('SLUICE_CHANNEL_FULL');
    expect(running.harness.channel.size).to.equal(4);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['a1', 'a2', 'a3', 'a4']);
    const retried = await curl([...JSON_TYPE, '--data-binary', '@-', running.url], flumeBatch(['b1', 'b2']));
    expect(retried.status).to.equal(200);
  });

  it('answers 413 to a request with more events than the channel transactionCapacity', async () => {
    running = await startSource({}, 5);
    const res = await curl([...JSON_TYPE, '--data-binary', '@-', running.url], flumeBatch(['1', '2', '3', '4', '5', '6']));
    expect(res.status).to.equal(413);
    expect(JSON.parse(res.body).error).to.equal('SLUICE_TX_CAPACITY');
  });

  it('decodes bodies with the Content-Type charset (UTF-16; a UTF-8 BOM is skipped) and stores them in it, as Flume does', async () => {
    running = await startSource();
    const text = flumeBatch(['grüße']);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const res = await curl(['-H', 'Content-Type: application/json; charset=UTF-16', '--data-binary', '@-', running.url], utf16);
    expect(res.status).to.equal(200);
    const [event] = await takeAll(running.harness);
    expect(new TextDecoder('utf-16be').decode(event!.body)).to.equal('grüße');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(flumeBatch(['bom']))]);
    expect((await curl([...JSON_TYPE, '--data-binary', '@-', running.url], withBom)).status).to.equal(200);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['bom']);
    const unsupported = await curl(['-H', 'Content-Type: application/json; charset=latin1', '--data-binary', '@-', running.url], text);
    expect(unsupported.status).to.equal(415);
  });

  it('reads ndjson (one event per line) and blobs (query parameters as headers)', async () => {
    running = await startSource({ handler: 'ndjson' });
    const ndjson = `${JSON.stringify({ headers: { n: '1' }, body: 'line one' })}\n\n${JSON.stringify({ body: 'line two' })}\n`;
    expect((await curl(['--data-binary', '@-', running.url], ndjson)).status).to.equal(200);
    expect((await takeAll(running.harness)).map((e) => [e.headers, e.body.toString()])).to.deep.equal([[{ n: '1' }, 'line one'], [{}, 'line two']]);
    expect((await curl(['--data-binary', '@-', running.url], 'not json\n')).status).to.equal(400);
    await running.close();
    running = await startSource({ handler: 'blob' });
    const blob = Buffer.from([0, 1, 2, 255, 10, 13]);
    expect((await curl(['--data-binary', '@-', `${running.url}ingest?host=web2&kind=bin`], blob)).status).to.equal(200);
    const [event] = await takeAll(running.harness);
    expect(event!.headers).to.deep.equal({ host: 'web2', kind: 'bin' });
    expect(event!.body.equals(blob)).to.equal(true);
  });

  it('inflates gzip bodies from curl, bounding the inflated size by maxBodySize', async () => {
    running = await startSource({ maxBodySize: '64KiB' });
    const small = gzipSync(flumeBatch(['compressed event']));
    const ok = await curl([...JSON_TYPE, '-H', 'Content-Encoding: gzip', '--data-binary', '@-', running.url], small);
    expect(ok.status).to.equal(200);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['compressed event']);
    const bomb = gzipSync(flumeBatch(['z'.repeat(1 << 20)]));
    expect(bomb.length).to.be.below(64 * 1024);
    expect((await curl([...JSON_TYPE, '-H', 'Content-Encoding: gzip', '--data-binary', '@-', running.url], bomb)).status).to.equal(413);
    expect((await curl([...JSON_TYPE, '-H', 'Content-Encoding: gzip', '--data-binary', '@-', running.url], 'not gzip')).status).to.equal(400);
    expect((await curl([...JSON_TYPE, '-H', 'Content-Encoding: br', '--data-binary', '@-', running.url], 'x')).status).to.equal(415);
    expect(running.harness.channel.size).to.equal(0);
  });

  it('requires the bearer token when authToken is set (401 without it or with a wrong one)', async () => {
    running = await startSource({ authToken: 's3cret-token' });
    const missing = await curl([...JSON_TYPE, '--data-binary', '@-', '-D', '-', running.url], flumeBatch(['x']));
    expect(missing.status).to.equal(401);
    expect(missing.body).to.match(/WWW-Authenticate: Bearer/i);
    expect((await curl([...JSON_TYPE, '-H', 'Authorization: Bearer wrong', '--data-binary', '@-', running.url], flumeBatch(['x']))).status).to.equal(401);
    expect(running.harness.channel.size).to.equal(0);
    const ok = await curl([...JSON_TYPE, '-H', 'Authorization: Bearer s3cret-token', '--data-binary', '@-', running.url], flumeBatch(['authorized']));
    expect(ok.status).to.equal(200);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['authorized']);
  });

  it('answers 405 to GET and keeps connections alive between requests', async () => {
    running = await startSource();
    expect((await curl([running.url])).status).to.equal(405);
    const twice = await curl(['-v', ...JSON_TYPE, '--data-binary', '@-', running.url, running.url], flumeBatch(['same batch']));
    expect(twice.status).to.equal(200);
    expect(twice.stderr).to.match(/Re-using existing connection|Reusing existing connection/);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['same batch', 'same batch']);
  });
});

describe('http source over HTTPS', () => {
  before(function () { requirePeers(this, 'openssl', 'curl'); });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-http-tls-'));
  const file = (name: string): string => path.join(dir, name);
  let running: RunningSource | undefined;
  before(async () => {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
    await promisify(execFile)('openssl', ['req', '-x509', ...ec, '-keyout', file('server.key'), '-out', file('server.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    await promisify(execFile)('openssl', ['req', '-x509', ...ec, '-keyout', file('client.key'), '-out', file('client.pem'), '-subj', '/CN=sluice-client']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('accepts curl over HTTPS with the server CA, and refuses a client without the required certificate', async () => {
    running = await startSource({ tls: { enabled: true, cert: file('server.pem'), key: file('server.key'), ca: file('client.pem'), requireClientCert: true } });
    const ok = await curl(['--cacert', file('server.pem'), '--cert', file('client.pem'), '--key', file('client.key'), ...JSON_TYPE, '--data-binary', '@-', running.url], flumeBatch(['over https']));
    expect(ok.status, ok.stderr).to.equal(200);
    const noCert = await curl(['--cacert', file('server.pem'), ...JSON_TYPE, '--data-binary', '@-', running.url], flumeBatch(['no cert']));
    expect(noCert.status).to.equal(0);
    const plain = await curl([...JSON_TYPE, '--data-binary', '@-', running.url.replace('https:', 'http:')], flumeBatch(['plain']));
    expect(plain.status).to.not.equal(200);
    expect((await takeAll(running.harness)).map((e) => e.body.toString())).to.deep.equal(['over https']);
  });
});

/** Posts bodies as curl does, in requests of at most 5 events, resending on 503 like a careful client. */
async function postAll(url: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 5) {
    for (;;) {
      const res = await curl([...JSON_TYPE, '--data-binary', '@-', url], flumeBatch(bodies.slice(i, i + 5)));
      if (res.status === 200) break;
      if (res.status !== 503) throw new Error(`unexpected status ${res.status}: ${res.body}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('http source conformance (curl as the client)', () => {
  sourceSuite({
    factory: (ctx) => httpSource.create({ ...SOURCE_DEFAULTS, port: 0 }, ctx),
    produce: (source: Source, bodies) => postAll(`http://127.0.0.1:${(source as HttpSource).port}/`, bodies),
    capabilities: { backpressure: true },
  });
});
