import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTopology } from '@sluice/config';
import { WebHdfsTestServer } from '@sluice/testkit';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const BODY = 256;

/**
 * seq -> memory -> hdfs against the testkit WebHDFS test server (WEBHDFS_URL for a real
 * cluster), 256-byte events, batches of 1000 (one APPEND per batch, each through the 307
 * redirect), 64 MiB files. Timed until every event is committed, i.e. acknowledged.
 */
export async function run(): Promise<BenchResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-hdfs-'));
  const real = process.env.WEBHDFS_URL;
  const server = real ? undefined : await WebHdfsTestServer.start();
  try {
    const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    dataDir: '${path.join(work, 'data')}'
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: 1000, bodySize: ${BODY}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: hdfs, channel: mem, batchSize: 1000, url: '${real ?? server!.url}', path: '/tmp/sluice-bench-${Date.now()}',
             user: '${process.env.WEBHDFS_USER ?? 'sluice'}', roll: { size: 64MiB, interval: 10m, idleTimeout: 2m, count: 0 } }
`);
    const { agent, sink, elapsed, peakRssMb: peak } = await runUntilDrained(raw, EVENTS);
    await agent.stop(5000);
    return result('hdfs', EVENTS, EVENTS * (BODY + 1), elapsed, peak, { files: sink.get('ConnectionCreatedCount'), peer: real ? 'WEBHDFS_URL' : 'webhdfs-test-server' });
  } finally {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  }
}
