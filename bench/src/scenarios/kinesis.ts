import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';
import { parseTopology } from '@sluice/config';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const BODY = 256;
const SHARDS = 4;

/**
 * Kinesis on kinesalite (in memory, 127.0.0.1), 256-byte events, 4 shards:
 * - sink: seq -> memory -> kinesis sink (batches of 500, random keys), timed until every event is
 *   acknowledged by PutRecords; reference: the raw SDK PutRecords loop (500 records a call) of the
 *   same events against the same emulator, in the same run;
 * - source: kinesis source (TRIM_HORIZON) -> memory -> null over what the sink wrote, timed until
 *   the null sink took every event; reference: the raw SDK GetRecords loop over the shards.
 * kinesalite's speed bounds both; the figures are for comparing Sluice versions against the SDK.
 */
export async function run(): Promise<BenchResult> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-kinesis-'));
  const server: Server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new KinesisClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, requestHandler: new NodeHttpHandler() });
  const createStream = async (name: string): Promise<void> => {
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
    while ((await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await new Promise((r) => setTimeout(r, 20));
  };
  const aws = `endpoint: '${endpoint}', region: us-east-1, accessKeyId: bench, secretAccessKey: bench`;
  try {
    await createStream('bench-sink');
    const sinkRun = await runUntilDrained(parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    dataDir: '${path.join(work, 'sink')}'
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: 500, bodySize: ${BODY}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 500, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: kinesis, channel: mem, streamName: bench-sink, batchSize: 500, ${aws} }
`), EVENTS);
    await sinkRun.agent.stop(5000);

    await createStream('bench-reference');
    const body = Buffer.alloc(BODY, 'x');
    const putStarted = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i += 500) {
      let records = Array.from({ length: Math.min(500, EVENTS - i) }, (_, j) => ({ Data: body, PartitionKey: String(i + j) }));
      while (records.length > 0) {
        const answer = await client.send(new PutRecordsCommand({ StreamName: 'bench-reference', Records: records }));
        records = records.filter((_, k) => answer.Records?.[k]?.ErrorCode !== undefined);
      }
    }
    const putSeconds = Number(process.hrtime.bigint() - putStarted) / 1e9;

    const sourceRun = await runUntilDrained(parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    dataDir: '${path.join(work, 'source')}'
    sources:
      in: { type: kinesis, streamName: bench-sink, initialPosition: TRIM_HORIZON, batchSize: 10000, pollInterval: 100ms, ${aws}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 10000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: "null", channel: mem, batchSize: 1000 }
`), EVENTS);
    await sourceRun.agent.stop(5000);

    const getStarted = process.hrtime.bigint();
    let read = 0;
    for (const shard of (await client.send(new ListShardsCommand({ StreamName: 'bench-reference' }))).Shards ?? []) {
      let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: 'bench-reference', ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (iterator) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }));
        read += page.Records?.length ?? 0;
        if ((page.Records?.length ?? 0) === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    const getSeconds = Number(process.hrtime.bigint() - getStarted) / 1e9;
    if (read !== EVENTS) throw new Error(`reference GetRecords loop read ${read} of ${EVENTS} records`);

    const sourceSeconds = Number(sourceRun.elapsed) / 1e9;
    return result('kinesis', EVENTS, EVENTS * BODY, sinkRun.elapsed, Math.max(sinkRun.peakRssMb, sourceRun.peakRssMb), {
      sinkEventsPerSec: Math.round(EVENTS / (Number(sinkRun.elapsed) / 1e9)),
      referencePutRecordsPerSec: Math.round(EVENTS / putSeconds),
      sourceSeconds: Math.round(sourceSeconds * 1000) / 1000,
      sourceEventsPerSec: Math.round(EVENTS / sourceSeconds),
      referenceGetRecordsPerSec: Math.round(EVENTS / getSeconds),
      peer: 'kinesalite',
      note: 'eventsPerSec/seconds are the sink (seq -> memory -> kinesis, start-up included); the source reads the sink\'s records (TRIM_HORIZON -> memory -> null, start-up and the 200ms least gap between reads of a shard included); references: raw SDK PutRecords (500 a call) and GetRecords loops on the same kinesalite',
    });
  } finally {
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(work, { recursive: true, force: true });
  }
}
