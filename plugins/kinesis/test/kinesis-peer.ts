import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient,
  ListShardsCommand, MergeShardsCommand, PutRecordsCommand, SplitShardCommand, type Shard, type _Record,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';

/**
 * The Kinesis endpoint a test talks to: AWS (or any endpoint) when KINESIS_ENDPOINT is set (with
 * KINESIS_REGION and the standard AWS credentials), otherwise kinesalite in memory on 127.0.0.1.
 * Streams made by `createStream` get a unique name and are deleted at `close`.
 */
export interface KinesisPeer {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** True for kinesalite. */
  local: boolean;
  client: KinesisClient;
  /** Creates a stream with `shards` shards and waits until it is ACTIVE; returns its name. */
  createStream(shards: number): Promise<string>;
  waitActive(stream: string): Promise<void>;
  shards(stream: string): Promise<Shard[]>;
  /** Every record of the stream, shard by shard from TRIM_HORIZON. */
  readAll(stream: string): Promise<(_Record & { shardId: string })[]>;
  put(stream: string, records: { data: string | Buffer; key: string }[]): Promise<void>;
  /** Splits a shard at the middle of its hash range; waits until ACTIVE. */
  split(stream: string, shardId: string): Promise<void>;
  merge(stream: string, shardId: string, adjacentShardId: string): Promise<void>;
  /**
   * The next `calls` PutRecords calls refuse the records whose position `pick` selects with
   * ProvisionedThroughputExceededException (kinesalite only). Returns how many were refused so far.
   */
  throttlePuts(calls: number, pick: (index: number) => boolean): void;
  /** Records per PutRecords call received so far (kinesalite only). */
  readonly putCalls: readonly number[];
  /** Records refused by throttlePuts so far. */
  readonly refusedRecords: number;
  /** Makes kinesalite drop every connection until `resume`; the data stays. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** The PutRecords calls to answer with throttled records, and which record positions to throttle. */
const throttled = { calls: 0, pick: (_index: number): boolean => false, refused: 0, putCalls: [] as number[] };

/**
 * Passes one PutRecords call to kinesalite, noting its record count. While `throttled.calls` lasts it
 * answers the way Kinesis does under load: the picked records are not
 * written and come back with ErrorCode ProvisionedThroughputExceededException, the others are
 * written by kinesalite and keep their results in place.
 */
function throttle(req: IncomingMessage, res: ServerResponse, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
  const active = throttled.calls > 0;
  if (active) throttled.calls--;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Records: unknown[] };
    throttled.putCalls.push(body.Records.length);
    const refused = new Set(active ? body.Records.map((_, i) => i).filter((i) => throttled.pick(i)) : []);
    throttled.refused += refused.size;
    const kept = JSON.stringify({ ...body, Records: body.Records.filter((_, i) => !refused.has(i)) });
    const fake = Object.assign(new PassThrough(), { headers: { ...req.headers, 'content-length': String(Buffer.byteLength(kept)) }, method: req.method, url: req.url });
    const end = res.end.bind(res) as (data: Buffer | string) => ServerResponse;
    (res as { end: unknown }).end = (data: Buffer | string) => {
      const answer = JSON.parse(data.toString()) as { Records?: unknown[]; FailedRecordCount?: number };
      if (!answer.Records) return end(data);
      const written = answer.Records.slice();
      const records = body.Records.map((_, i) => (refused.has(i)
        ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream under account 000000000000.' }
        : written.shift()));
      const out = Buffer.from(JSON.stringify({ ...answer, FailedRecordCount: (answer.FailedRecordCount ?? 0) + refused.size, Records: records }));
      res.setHeader('Content-Length', out.length);
      return end(out);
    };
    if (refused.size === body.Records.length) {
      // Nothing left for kinesalite (it rejects an empty Records list): answer for it.
      res.setHeader('Content-Type', 'application/x-amz-json-1.1');
      res.end(JSON.stringify({ FailedRecordCount: 0, Records: [] }));
      return;
    }
    handler(fake as unknown as IncomingMessage, res);
    fake.end(kept);
  });
}

export async function startKinesisPeer(): Promise<KinesisPeer> {
  const real = process.env.KINESIS_ENDPOINT;
  let server: Server | undefined;
  let emulator: Server | undefined;
  let port = 0;
  let paused = false;
  if (!real) {
    // kinesalite's own server drops its in-memory data on close, so it never listens: ours hands
    // it the requests and, while paused, drops connections (what an unreachable endpoint does).
    emulator = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
    const handler = emulator.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
    server = createServer((req, res) => {
      if (paused) req.socket.destroy();
      else if (req.headers['x-amz-target'] === 'Kinesis_20131202.PutRecords') throttle(req, res, handler);
      else handler(req, res);
    });
    await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  }
  const endpoint = real ?? `http://127.0.0.1:${port}`;
  const region = process.env.KINESIS_REGION ?? 'us-east-1';
  const accessKeyId = real ? process.env.AWS_ACCESS_KEY_ID ?? '' : 'kinesalite';
  const secretAccessKey = real ? process.env.AWS_SECRET_ACCESS_KEY ?? '' : 'kinesalite';
  const client = new KinesisClient({
    endpoint, region, maxAttempts: 3,
    credentials: accessKeyId ? { accessKeyId, secretAccessKey } : undefined,
    ...(endpoint.startsWith('http:') ? { requestHandler: new NodeHttpHandler() } : {}),
  });
  const created: string[] = [];
  throttled.calls = 0;
  throttled.refused = 0;
  throttled.putCalls = [];
  const waitActive = async (stream: string): Promise<void> => {
    for (let i = 0; i < 600; i++) {
      const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, real ? 1000 : 20));
    }
    throw new Error(`stream ${stream} did not become ACTIVE`);
  };
  const shards = async (stream: string): Promise<Shard[]> => {
    const out: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: stream }));
      out.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  };
  return {
    endpoint, region, accessKeyId, secretAccessKey, local: !real, client, waitActive, shards,
    async createStream(count) {
      const name = `sluice-test-${randomUUID().slice(0, 8)}`;
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: count }));
      created.push(name);
      await waitActive(name);
      return name;
    },
    async readAll(stream) {
      const out: (_Record & { shardId: string })[] = [];
      for (const shard of await shards(stream)) {
        let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
        while (iterator) {
          const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
          for (const r of page.Records ?? []) out.push({ ...r, shardId: shard.ShardId! });
          if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
          iterator = page.NextShardIterator;
        }
      }
      return out;
    },
    async put(stream, records) {
      for (let i = 0; i < records.length; i += 500) {
        let pending = records.slice(i, i + 500).map((r) => ({ Data: Buffer.from(r.data), PartitionKey: r.key }));
        while (pending.length > 0) {
          const answer = await client.send(new PutRecordsCommand({ StreamName: stream, Records: pending }));
          pending = pending.filter((_, j) => answer.Records?.[j]?.ErrorCode !== undefined);
        }
      }
    },
    async split(stream, shardId) {
      const shard = (await shards(stream)).find((s) => s.ShardId === shardId)!;
      const start = BigInt(shard.HashKeyRange!.StartingHashKey!);
      const end = BigInt(shard.HashKeyRange!.EndingHashKey!);
      await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: String((start + end) / 2n + 1n) }));
      await waitActive(stream);
    },
    async merge(stream, shardId, adjacentShardId) {
      await client.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId }));
      await waitActive(stream);
    },
    throttlePuts(calls, pick) {
      throttled.calls = calls;
      throttled.pick = pick;
    },
    get refusedRecords() { return throttled.refused; },
    get putCalls() { return throttled.putCalls; },
    async pause() {
      paused = true;
      server?.closeAllConnections();
    },
    async resume() {
      paused = false;
    },
    async close() {
      if (real) for (const name of created) await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true })).catch(() => undefined);
      client.destroy();
      if (server?.listening) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      await new Promise<void>((resolve) => emulator?.close(() => resolve()) ?? resolve());
    },
  };
}
