import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/**
 * The S3 endpoint a test writes to: a real one when S3_ENDPOINT is set (with S3_BUCKET,
 * S3_REGION and the standard AWS credentials), otherwise s3rver on 127.0.0.1. Each peer writes
 * under its own key root so runs against a shared bucket do not collide.
 */
export interface S3Peer {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key root of this peer, ending in `/`. */
  root: string;
  client: S3Client;
  /** True for s3rver (failure injection is possible). */
  local: boolean;
  /** Stops s3rver (connections are refused until `resume`). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Keys under the root (or `prefix`), sorted. */
  keys(prefix?: string): Promise<string[]>;
  read(key: string): Promise<Buffer>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

export async function startS3Peer(): Promise<S3Peer> {
  const real = process.env.S3_ENDPOINT;
  const directory = mkdtempSync(path.join(os.tmpdir(), 'sluice-s3rver-'));
  const bucket = real ? process.env.S3_BUCKET ?? 'sluice-test' : 'sluice-test';
  let server: S3rver | undefined;
  let port = 0;
  const launch = async (): Promise<void> => {
    server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
    port = (await server.run()).port;
  };
  if (!real) await launch();
  const endpoint = real ?? `http://127.0.0.1:${port}`;
  const accessKeyId = real ? process.env.AWS_ACCESS_KEY_ID ?? '' : 'S3RVER';
  const secretAccessKey = real ? process.env.AWS_SECRET_ACCESS_KEY ?? '' : 'S3RVER';
  const region = process.env.S3_REGION ?? 'us-east-1';
  const client = new S3Client({
    endpoint, region, forcePathStyle: true, maxAttempts: 1,
    credentials: accessKeyId ? { accessKeyId, secretAccessKey } : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const root = `sluice-test-${randomUUID()}/`;
  const keys = async (prefix = root): Promise<string[]> => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    return out.sort();
  };
  const clear = async (): Promise<void> => {
    const all = await keys();
    // One by one: s3rver rejects the checksum the SDK puts on DeleteObjects.
    for (const Key of all) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  };
  return {
    endpoint, bucket, region, accessKeyId, secretAccessKey, root, client, local: !real, keys, clear,
    async pause() {
      if (server) await server.close();
      server = undefined;
    },
    async resume() { if (!real && !server) await launch(); },
    async read(key) {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    },
    async close() {
      if (real) await clear().catch(() => undefined);
      client.destroy();
      await server?.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
