import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { parseTopology } from '@sluice/config';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const BODY = 256;

/**
 * seq -> memory -> s3 against s3rver on 127.0.0.1 (S3_ENDPOINT/S3_BUCKET to use a real store),
 * 256-byte events, batches of 1000, 32 MiB objects (multipart above 16 MiB). Timed until every
 * event is committed, i.e. uploaded.
 */
export async function run(): Promise<BenchResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-s3-'));
  const real = process.env.S3_ENDPOINT;
  const server = real ? undefined : new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(work, 's3'), configureBuckets: [{ name: 'bench' }] });
  const endpoint = real ?? `http://127.0.0.1:${(await server!.run()).port}`;
  const bucket = real ? process.env.S3_BUCKET ?? 'bench' : 'bench';
  const creds = real ? '' : "accessKeyId: S3RVER, secretAccessKey: S3RVER,";
  try {
    const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    dataDir: '${path.join(work, 'data')}'
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: 1000, bodySize: ${BODY}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 200000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: s3, channel: mem, batchSize: 1000, bucket: ${bucket}, key: 'bench-${Date.now()}/', endpoint: '${endpoint}', region: us-east-1,
             forcePathStyle: true, ${creds} useLocalTimeStamp: true, roll: { size: 32MiB, interval: 10m, idleTimeout: 2m, count: 0 } }
`);
    const { agent, sink, elapsed, peakRssMb: peak } = await runUntilDrained(raw, EVENTS);
    await agent.stop(5000);
    // Bytes as written to S3: each body plus its newline.
    return result('s3', EVENTS, EVENTS * (BODY + 1), elapsed, peak, { objects: sink.get('ConnectionClosedCount'), peer: real ? 'S3_ENDPOINT' : 's3rver' });
  } finally {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  }
}
