import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import S3rver from 's3rver';
import { AgentProcess, TempDir } from './helpers/agent-process.js';
import { WholeBodyProxy } from './helpers/whole-body-proxy.js';

const BATCH = 100;
/** The sink takes bigger batches than the source puts, so the final drain needs few requests. */
const SINK_BATCH = 1000;
const STRIDE = 10_000_000;
const BUCKET = 'sluice-crash';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('s3 sink survives SIGKILL of a real agent mid-upload @slow', function () {
  this.timeout(240000);
  const dir = new TempDir();
  const s3Dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-s3rver-'));
  const real = process.env.S3_ENDPOINT;
  let server: S3rver | undefined;
  let proxy: WholeBodyProxy | undefined;
  /** Where the agent sends its uploads (s3rver behind the whole-body proxy, or S3_ENDPOINT). */
  let agentEndpoint: string;
  let client: S3Client;
  let endpoint: string;
  let agent: AgentProcess | undefined;
  const bucket = real ? process.env.S3_BUCKET ?? BUCKET : BUCKET;
  const prefix = `crash-${process.pid}-${Date.now()}/`;
  const creds = real ? { id: process.env.AWS_ACCESS_KEY_ID ?? '', secret: process.env.AWS_SECRET_ACCESS_KEY ?? '' } : { id: 'S3RVER', secret: 'S3RVER' };

  before(async () => {
    if (!real) {
      server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Dir, configureBuckets: [{ name: BUCKET }] });
      endpoint = `http://127.0.0.1:${(await server.run()).port}`;
      proxy = await WholeBodyProxy.start(endpoint);
      agentEndpoint = proxy.url;
    } else {
      endpoint = real;
      agentEndpoint = real;
    }
    client = new S3Client({
      endpoint, region: process.env.S3_REGION ?? 'us-east-1', forcePathStyle: true, maxAttempts: 1,
      credentials: creds.id ? { accessKeyId: creds.id, secretAccessKey: creds.secret } : undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  after(async () => {
    await agent?.kill();
    // Against a shared real bucket, remove what this run wrote.
    if (real) for (const Key of objects.keys()) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key })).catch(() => undefined);
    client?.destroy();
    await proxy?.close();
    await server?.close();
    rmSync(s3Dir, { recursive: true, force: true });
    dir.cleanup();
  });

  /** How objects are uploaded: many small PutObjects, or few multipart uploads of two parts. */
  interface Variant { name: string; rounds: number; perRound: number; body: number; roll: string; multipartThreshold: string }
  const variants: Variant[] = [
    { name: 'PutObject', rounds: 3, perRound: 20_000, body: 16, roll: "{ count: 2000, interval: 5s, idleTimeout: 1s, size: '0' }", multipartThreshold: '16MiB' },
    { name: 'multipart', rounds: 2, perRound: 30_000, body: 512, roll: "{ count: 0, interval: 5s, idleTimeout: 1s, size: 6MiB }", multipartThreshold: '1MiB' },
  ];

  const topology = (v: Variant, start: number, count: number): string => `
agents:
  crash:
    drainTimeout: 20s
    sources:
      seq: { type: seq, start: ${start}, count: ${count}, batchSize: ${BATCH}, bodySize: ${v.body}, channels: [disk] }
    channels:
      disk: { type: file, dataDir: '${path.join(dir.path, `disk-${v.name}`)}', minFreeSpace: '0', transactionCapacity: ${SINK_BATCH} }
    sinks:
      out:
        type: s3
        channel: disk
        bucket: ${bucket}
        key: '${prefix}${v.name}/'
        endpoint: '${agentEndpoint}'
        region: '${process.env.S3_REGION ?? 'us-east-1'}'
        forcePathStyle: true
        accessKeyId: '${creds.id}'
        secretAccessKey: '${creds.secret}'
        batchSize: ${SINK_BATCH}
        maxAttempts: 1
        multipartThreshold: ${v.multipartThreshold}
        partSize: 5MiB
        roll: ${v.roll}
`;

  async function keys(v: Variant): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}${v.name}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    return out;
  }

  const objects = new Map<string, string>();
  /** Reads every object (each once: objects are immutable) and returns all sequence numbers. */
  async function delivered(v: Variant): Promise<number[]> {
    for (const key of await keys(v)) {
      if (objects.has(key)) continue;
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      objects.set(key, await answer.Body!.transformToString('latin1'));
    }
    const numbers: number[] = [];
    for (const [key, text] of objects) if (key.startsWith(`${prefix}${v.name}/`)) for (const line of text.split('\n')) if (line !== '') numbers.push(Number(line.slice(0, line.indexOf(' '))));
    return numbers;
  }

  for (const v of variants) it(`seq -> file channel -> s3 (${v.name}) killed during uploads ends with every sequence number in the bucket and no partial object`, async () => {
    const committed: number[] = [];
    for (let round = 0; round < v.rounds; round++) {
      const file = dir.write('topology.yaml', topology(v, (round + 1) * STRIDE, v.perRound));
      agent = AgentProcess.start(file, 'crash', { logLevel: 'debug' });
      await agent.started();
      // Kill once uploads are under way: some objects of this round exist, others are staged.
      const before = (await keys(v)).length;
      for (let waited = 0; waited < 20000 && (await keys(v)).length <= before; waited += 20) await sleep(20);
      await sleep(Math.floor(Math.random() * 300));
      await agent.kill();
      committed.push(agent.logs.filter((l) => l.msg === 'put batch committed').length * BATCH);
      agent = undefined;
    }
    expect(committed.every((n) => n > 0), `every round committed events: ${committed}`).to.equal(true);

    const finalStart = (v.rounds + 1) * STRIDE;
    const finalCount = 10 * BATCH;
    agent = AgentProcess.start(dir.write('topology.yaml', topology(v, finalStart, finalCount)), 'crash');
    await agent.started();
    const expected: number[] = [];
    for (let round = 0; round < v.rounds; round++) for (let i = 0; i < committed[round]!; i++) expected.push((round + 1) * STRIDE + i);
    for (let i = 0; i < finalCount; i++) expected.push(finalStart + i);
    let seen = new Set<number>();
    for (let waited = 0; waited < 120000; waited += 250) {
      seen = new Set(await delivered(v));
      if (expected.every((n) => seen.has(n))) break;
      await sleep(250);
    }
    const status = await agent.stop();
    agent = undefined;
    expect(status.code, 'graceful exit').to.equal(0);
    const missing = expected.filter((n) => !seen.has(n));
    expect(missing.length, `missing sequence numbers, first: ${missing.slice(0, 5).join(', ')}`).to.equal(0);

    // No partial object: every object is whole lines of whole events, as the serializer wrote them.
    // Read every object again now that nothing is uploading (a poll may have caught one mid-write).
    for (const key of [...objects.keys()]) if (key.startsWith(`${prefix}${v.name}/`)) objects.delete(key);
    await delivered(v);
    for (const [key, text] of objects) {
      if (!key.startsWith(`${prefix}${v.name}/`)) continue;
      expect(text.endsWith('\n'), `${key} ends with a complete line`).to.equal(true);
      for (const line of text.slice(0, -1).split('\n')) expect(line.length, `${key}: torn line ${JSON.stringify(line)}`).to.equal(v.body);
      expect(key).to.match(/\/events\.\d+-[0-9a-f]{6}-\d+\.log$/);
    }
    if (v.name === 'multipart') {
      // Objects above multipartThreshold (1 MiB) are only ever sent as multipart uploads.
      const sizes = await Promise.all((await keys(v)).map(async (Key) => (await client.send(new HeadObjectCommand({ Bucket: bucket, Key }))).ContentLength ?? 0));
      expect(sizes.some((size) => size > 1024 * 1024), `object sizes: ${sizes.join(' ')}`).to.equal(true);
    }
  });
});
