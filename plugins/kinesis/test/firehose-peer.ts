import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateDeliveryStreamCommand, DeleteDeliveryStreamCommand, DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { FirehoseTestServer } from '@sluice/testkit';
import S3rver from 's3rver';

/**
 * The Firehose endpoint a test writes to: AWS when FIREHOSE_ENDPOINT is set (with FIREHOSE_REGION,
 * FIREHOSE_BUCKET, FIREHOSE_ROLE_ARN and the standard AWS credentials; the bucket is read with
 * S3), otherwise the testkit's FirehoseTestServer delivering into s3rver on 127.0.0.1.
 */
export interface FirehosePeer {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The test server (undefined against AWS). */
  server: FirehoseTestServer | undefined;
  /** Creates a delivery stream to the bucket under a fresh prefix; returns its name. */
  createDeliveryStream(buffering?: { SizeInMBs: number; IntervalInSeconds: number }): Promise<string>;
  /** Every object delivered for the stream, oldest first, with its body. */
  objects(stream: string): Promise<{ key: string; body: Buffer }[]>;
  /** Waits until the delivered objects of `stream` hold `bytes` bytes in all. */
  waitForBytes(stream: string, bytes: number, timeoutMs?: number): Promise<{ key: string; body: Buffer }[]>;
  close(): Promise<void>;
}

export async function startFirehosePeer(): Promise<FirehosePeer> {
  const real = process.env.FIREHOSE_ENDPOINT;
  const bucket = real ? process.env.FIREHOSE_BUCKET ?? 'sluice-test' : 'sluice-firehose';
  const region = process.env.FIREHOSE_REGION ?? 'us-east-1';
  const accessKeyId = real ? process.env.AWS_ACCESS_KEY_ID ?? '' : 'firehose';
  const secretAccessKey = real ? process.env.AWS_SECRET_ACCESS_KEY ?? '' : 'firehose';
  const directory = mkdtempSync(path.join(os.tmpdir(), 'sluice-firehose-s3-'));
  let s3rver: S3rver | undefined;
  let server: FirehoseTestServer | undefined;
  let s3Endpoint: string | undefined;
  if (!real) {
    s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
    s3Endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
    server = await FirehoseTestServer.start({ s3Endpoint });
  }
  const endpoint = real ?? server!.endpoint;
  const credentials = accessKeyId ? { accessKeyId, secretAccessKey } : undefined;
  const firehose = new FirehoseClient({ endpoint, region, credentials, maxAttempts: 1 });
  const s3 = new S3Client({
    region, credentials: real ? credentials : { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true, ...(s3Endpoint ? { endpoint: s3Endpoint } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const created = new Map<string, string>();
  const objects = async (stream: string): Promise<{ key: string; body: Buffer }[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: created.get(stream), ContinuationToken: token }));
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    keys.sort();
    const out: { key: string; body: Buffer }[] = [];
    for (const key of keys) {
      const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      out.push({ key, body: Buffer.from(await answer.Body!.transformToByteArray()) });
    }
    return out;
  };
  return {
    endpoint, region, accessKeyId, secretAccessKey, server, objects,
    async createDeliveryStream(buffering = { SizeInMBs: 1, IntervalInSeconds: 1 }) {
      const name = `sluice-test-${randomUUID().slice(0, 8)}`;
      const prefix = `${name}/`;
      await firehose.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: name, DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: { BucketARN: `arn:aws:s3:::${bucket}`, RoleARN: process.env.FIREHOSE_ROLE_ARN ?? `arn:aws:iam::000000000000:role/firehose`, Prefix: prefix, BufferingHints: buffering },
      }));
      created.set(name, prefix);
      for (let i = 0; i < 300; i++) {
        const d = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
        if (d.DeliveryStreamDescription?.DeliveryStreamStatus === 'ACTIVE') break;
        await new Promise((r) => setTimeout(r, real ? 2000 : 10));
      }
      return name;
    },
    async waitForBytes(stream, bytes, timeoutMs = real ? 600000 : 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = await objects(stream);
        if (got.reduce((n, o) => n + o.body.length, 0) >= bytes || Date.now() > deadline) return got;
        await new Promise((r) => setTimeout(r, real ? 5000 : 100));
      }
    },
    async close() {
      if (real) for (const name of created.keys()) await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name })).catch(() => undefined);
      firehose.destroy();
      s3.destroy();
      await server?.close();
      await s3rver?.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
