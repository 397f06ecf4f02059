import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FirehoseTestServer } from '@sluice/testkit';
import { expect } from 'chai';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/kinesis-agent/topology.yaml');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('examples/kinesis-agent @slow', function () {
  this.timeout(90000);
  const dir = new TempDir();
  const s3Dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-s3rver-'));
  let emulator: Server;
  let s3: S3rver;
  let firehose: FirehoseTestServer;
  let kinesis: KinesisClient;
  let agent: AgentProcess | undefined;
  let s3Endpoint = '';

  before(async () => {
    emulator = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
    await new Promise<void>((resolve) => emulator.listen(0, '127.0.0.1', () => resolve()));
    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Dir, configureBuckets: [{ name: 'landing' }] });
    s3Endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
    firehose = await FirehoseTestServer.start({ s3Endpoint });
    kinesis = new KinesisClient({ endpoint: `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`, region: 'us-east-1', credentials, requestHandler: new NodeHttpHandler() });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'app-logs', ShardCount: 2 }));
    while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'app-logs' }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await sleep(20);
    const fh = new FirehoseClient({ endpoint: firehose.endpoint, region: 'us-east-1', credentials });
    for (const name of ['orders-to-s3', 'access-logs-to-s3']) {
      await fh.send(new CreateDeliveryStreamCommand({
        DeliveryStreamName: name, DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::landing', RoleARN: 'arn:aws:iam::000000000000:role/firehose', Prefix: `${name}/`, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 } },
      }));
    }
    fh.destroy();
  });
  after(async () => {
    await agent?.kill();
    kinesis?.destroy();
    await firehose?.close();
    await s3?.close();
    emulator.closeAllConnections();
    await new Promise<void>((resolve) => emulator.close(() => resolve()));
    rmSync(s3Dir, { recursive: true, force: true });
    dir.cleanup();
  });

  async function streamRecords(): Promise<{ data: string; key: string }[]> {
    const out: { data: string; key: string }[] = [];
    for (const shard of (await kinesis.send(new ListShardsCommand({ StreamName: 'app-logs' }))).Shards ?? []) {
      const iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: 'app-logs', ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const r of page.Records ?? []) out.push({ data: Buffer.from(r.Data!).toString(), key: r.PartitionKey! });
    }
    return out;
  }

  async function s3Lines(prefix: string): Promise<string[]> {
    await firehose.flush();
    const lines: string[] = [];
    for (const d of firehose.deliveries.filter((x) => x.key.startsWith(prefix))) {
      const response = await fetch(`${s3Endpoint}/landing/${d.key.split('/').map(encodeURIComponent).join('/')}`);
      lines.push(...(await response.text()).split('\n').filter(Boolean));
    }
    return lines;
  }

  it('tails, converts and sends to a Kinesis stream and to Firehose (into S3)', async () => {
    const logs = path.join(dir.path, 'logs');
    for (const sub of ['app', 'orders', 'httpd']) mkdirSync(path.join(logs, sub), { recursive: true });
    agent = AgentProcess.start(EXAMPLE, 'kinesis-agent', {
      cwd: dir.path,
      env: {
        LOG_DIR: logs, KINESIS_ENDPOINT: `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`, FIREHOSE_ENDPOINT: firehose.endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1',
      },
    });
    await agent.started(60000);
    appendFileSync(path.join(logs, 'app', 'service.log'), [
      '2024-05-01 10:00:00 INFO started',
      '2024-05-01 10:00:01 ERROR failed',
      '  at handler (app.js:10)',
      '  at main (app.js:20)',
      '2024-05-01 10:00:02 INFO next',
      '',
    ].join('\n'));
    appendFileSync(path.join(logs, 'orders', 'today.csv'), 'o-1,sku-9,2,19.90\no-2,sku-3,1,5.00\n');
    appendFileSync(path.join(logs, 'httpd', 'access_log'), '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"\n');

    let records: { data: string; key: string }[] = [];
    for (let i = 0; i < 150 && records.length < 2; i++) {
      records = await streamRecords();
      await sleep(200);
    }
    // The multi-line record is complete once the next entry starts (or after multilineTimeout).
    for (let i = 0; i < 150 && records.length < 3; i++) {
      records = await streamRecords();
      await sleep(200);
    }
    expect(records.map((r) => r.data).sort()).to.deep.equal([
      '2024-05-01 10:00:00 INFO started\n',
      '2024-05-01 10:00:01 ERROR failed at handler (app.js:10) at main (app.js:20)\n',
      '2024-05-01 10:00:02 INFO next\n',
    ]);
    // The host interceptor's header (this machine's address) is every record's partition key.
    expect(new Set(records.map((r) => r.key)).size).to.equal(1);
    expect(records[0]!.key).to.not.equal('');

    let orders: string[] = [];
    let access: string[] = [];
    for (let i = 0; i < 100 && (orders.length < 2 || access.length < 1); i++) {
      orders = await s3Lines('orders-to-s3/');
      access = await s3Lines('access-logs-to-s3/');
      await sleep(200);
    }
    expect(orders.map((l) => JSON.parse(l))).to.deep.equal([
      { orderId: 'o-1', sku: 'sku-9', quantity: '2', price: '19.90' },
      { orderId: 'o-2', sku: 'sku-3', quantity: '1', price: '5.00' },
    ]);
    expect(JSON.parse(access[0]!)).to.include({ host: '127.0.0.1', authuser: 'frank', request: 'GET /apache_pb.gif HTTP/1.0', response: '200', referer: 'http://www.example.com/start.html' });
    expect((await agent.stop()).code).to.equal(0);
    agent = undefined;
  });
});
