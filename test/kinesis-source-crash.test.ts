import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import kinesalite from 'kinesalite';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const ROUNDS = 4;
const SHARDS = 4;
const SOURCE_BATCH = 100;
const SINK_BATCH = 100;
const RECORDS_PER_WAVE = 3000;
const STREAM = 'sluice-crash';
const WIDTH = 12;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function topology(dir: string, endpoint: string): string {
  return `
agents:
  crash:
    dataDir: '${path.join(dir, 'data')}'
    drainTimeout: 10s
    sources:
      in: { type: kinesis, streamName: ${STREAM}, initialPosition: TRIM_HORIZON, endpoint: '${endpoint}', region: us-east-1,
            accessKeyId: kinesalite, secretAccessKey: kinesalite, batchSize: ${SOURCE_BATCH}, pollInterval: 50ms, shardSyncInterval: 500ms, channels: [disk] }
    channels:
      disk: { type: file, dataDir: '${path.join(dir, 'disk')}', minFreeSpace: '0', transactionCapacity: ${SOURCE_BATCH} }
    sinks:
      out: { type: file_roll, channel: disk, directory: '${path.join(dir, 'out')}', fsync: true, batchSize: ${SINK_BATCH}, rollInterval: '0' }
`;
}

/** Record numbers in the sink's files, once per time written; torn lines are ignored. */
function delivered(outDir: string): number[] {
  const numbers: number[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(outDir);
  } catch {
    return numbers;
  }
  for (const file of files) {
    for (const line of readFileSync(path.join(outDir, file), 'latin1').split('\n')) {
      if (line.length === WIDTH + 4 && line.startsWith('rec-')) numbers.push(Number(line.slice(4)));
    }
  }
  return numbers;
}

describe('kinesis source survives SIGKILL of a real agent with local checkpoints @slow', function () {
  this.timeout(180000);
  const dir = new TempDir();
  let emulator: Server;
  let client: KinesisClient;
  let agent: AgentProcess | undefined;
  let endpoint = '';

  before(async () => {
    emulator = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
    await new Promise<void>((resolve) => emulator.listen(0, '127.0.0.1', () => resolve()));
    endpoint = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;
    client = new KinesisClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'kinesalite', secretAccessKey: 'kinesalite' }, requestHandler: new NodeHttpHandler() });
    await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: SHARDS }));
    while ((await client.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await sleep(20);
  });
  after(async () => {
    await agent?.kill();
    client?.destroy();
    emulator.closeAllConnections();
    await new Promise<void>((resolve) => emulator.close(() => resolve()));
    dir.cleanup();
  });

  async function put(from: number, count: number): Promise<void> {
    for (let i = from; i < from + count; i += 500) {
      let records = Array.from({ length: Math.min(500, from + count - i) }, (_, j) => ({
        Data: Buffer.from(`rec-${String(i + j).padStart(WIDTH, '0')}`), PartitionKey: `key-${(i + j) % 37}`,
      }));
      while (records.length > 0) {
        const answer = await client.send(new PutRecordsCommand({ StreamName: STREAM, Records: records }));
        records = records.filter((_, k) => answer.Records?.[k]?.ErrorCode !== undefined);
      }
    }
  }

  it(`kinesis -> file channel -> file_roll killed ${ROUNDS} times mid-stream: every record arrives, duplicates only from uncheckpointed batches`, async () => {
    await put(0, RECORDS_PER_WAVE);
    const file = dir.write('topology.yaml', topology(dir.path, endpoint));
    const outDir = path.join(dir.path, 'out');
    const progress: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round === ROUNDS / 2) await put(RECORDS_PER_WAVE, RECORDS_PER_WAVE);
      agent = AgentProcess.start(file, 'crash');
      await agent.started(60000);
      await sleep(400 + Math.floor(Math.random() * 800));
      await agent.kill();
      agent = undefined;
      progress.push(new Set(delivered(outDir)).size);
    }
    expect(progress[ROUNDS - 1], 'the killed agents made progress').to.be.greaterThan(0);
    const checkpointDir = path.join(dir.path, 'data', 'in', STREAM);
    expect(readdirSync(checkpointDir).filter((f) => f.endsWith('.json')).length, 'a checkpoint file per shard').to.equal(SHARDS);

    agent = AgentProcess.start(file, 'crash');
    await agent.started(60000);
    const total = 2 * RECORDS_PER_WAVE;
    let seen = new Set<number>();
    for (let waited = 0; waited < 90000; waited += 250) {
      seen = new Set(delivered(outDir));
      if (seen.size >= total) break;
      await sleep(250);
    }
    const status = await agent.stop();
    agent = undefined;
    expect(status.code, 'graceful exit').to.equal(0);

    const all = delivered(outDir);
    const missing = Array.from({ length: total }, (_, i) => i).filter((n) => !seen.has(n));
    expect(missing.length, `missing records, first: ${missing.slice(0, 5).join(', ')}`).to.equal(0);
    for (const n of new Set(all)) expect(n, 'a record the test put').to.be.within(0, total - 1);
    const duplicates = all.length - new Set(all).size;
    // Per kill: one uncheckpointed delivery per shard, plus the sink batch written but not committed.
    expect(duplicates, 'duplicates beyond the batches in flight at each kill').to.be.at.most(ROUNDS * (SHARDS * SOURCE_BATCH + SINK_BATCH));
  });
});
