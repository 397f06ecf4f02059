import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { benchAgent } from '../run-until-drained.js';
import { drained, result, sinkMetrics, trackPeakRss, type BenchResult } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const BODY = 256;
/** Requests in flight at once, for Sluice (sendConcurrency, pollers) and the reference alike. */
const LANES = 4;

/**
 * Messages/s through the sqs sink (seq -> memory -> sqs) and then the sqs source (sqs -> memory ->
 * null) against fauxqs on 127.0.0.1 in this process (SQS_ENDPOINT, SQS_REGION and the AWS
 * credentials to use another endpoint), 256-byte bodies. The same-run reference is the raw SDK
 * doing the same work with the same concurrency: SendMessageBatch of 10, and ReceiveMessage of 10
 * followed by DeleteMessageBatch. fauxqs is no stand-in for AWS: the figures are for comparing
 * Sluice versions and for the overhead over the bare SDK.
 */
export async function run(): Promise<BenchResult> {
  const real = process.env.SQS_ENDPOINT;
  const server = real ? undefined : await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const endpoint = real ?? server!.address;
  const region = process.env.SQS_REGION ?? 'us-east-1';
  const credentials = real ? undefined : { accessKeyId: 'fauxqs', secretAccessKey: 'fauxqs' };
  const client = new SQSClient({ endpoint, region, credentials, useQueueUrlAsEndpoint: false });
  const queues: string[] = [];
  const createQueue = async (name: string): Promise<string> => {
    const url = (await client.send(new CreateQueueCommand({ QueueName: `sluice-bench-${name}-${randomUUID().slice(0, 8)}` }))).QueueUrl!;
    queues.push(url);
    return url;
  };
  try {
    const body = 'x'.repeat(BODY);
    // Sluice: the sink fills a queue, then the source drains it.
    const queueUrl = await createQueue('sluice');
    const aws = `endpoint: '${endpoint}', region: ${region}${credentials ? ", accessKeyId: fauxqs, secretAccessKey: fauxqs" : ''}`;
    const rss = trackPeakRss();
    const sinkRun = await timedRun(`
agents:
  bench:
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: 100, bodySize: ${BODY}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: sqs, channel: mem, queueUrl: '${queueUrl}', ${aws}, batchSize: 100, sendConcurrency: ${LANES} }
`, EVENTS);
    const sourceRun = await timedRun(`
agents:
  bench:
    sources:
      in: { type: sqs, queueUrl: '${queueUrl}', ${aws}, waitTime: 1s, pollers: ${LANES}, batchSize: 100, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: 'null', channel: mem, batchSize: 1000 }
`, EVENTS);
    // Reference, after Sluice so it runs on a warmed-up process and emulator: the bare SDK.
    const refQueue = await createQueue('ref');
    let started = process.hrtime.bigint();
    await lanes(Math.ceil(EVENTS / 10), async () => {
      await client.send(new SendMessageBatchCommand({ QueueUrl: refQueue, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: body })) }));
    });
    const refSendNs = process.hrtime.bigint() - started;
    started = process.hrtime.bigint();
    let received = 0;
    await Promise.all(Array.from({ length: LANES }, async () => {
      while (received < EVENTS) {
        const answer = await client.send(new ReceiveMessageCommand({ QueueUrl: refQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const messages = answer.Messages ?? [];
        if (messages.length === 0) continue;
        received += messages.length;
        await client.send(new DeleteMessageBatchCommand({ QueueUrl: refQueue, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }));
    const refReceiveNs = process.hrtime.bigint() - started;

    const peak = rss.stop();
    const rate = (ns: bigint): number => Math.round(EVENTS / (Number(ns) / 1e9));
    return result('sqs', 2 * EVENTS, 2 * EVENTS * BODY, sinkRun + sourceRun, peak, {
      peer: real ? 'SQS_ENDPOINT' : 'fauxqs',
      sinkEventsPerSec: rate(sinkRun),
      sourceEventsPerSec: rate(sourceRun),
      referenceSendPerSec: rate(refSendNs),
      referenceReceiveDeletePerSec: rate(refReceiveNs),
    });
  } finally {
    for (const QueueUrl of queues) await client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    client.destroy();
    await server?.stop();
  }
}

/** Starts agent `bench` of `yaml`, waits until sink `out` delivered `events`, stops it; the time from start to drained. */
async function timedRun(yaml: string, events: number): Promise<bigint> {
  const { agent } = await benchAgent(yaml);
  const started = process.hrtime.bigint();
  await agent.start();
  await drained(sinkMetrics(agent, 'out'), events);
  const elapsed = process.hrtime.bigint() - started;
  await agent.stop(5000);
  return elapsed;
}

/** Runs `work` `count` times, `LANES` at a time. */
async function lanes(count: number, work: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: LANES }, async () => {
    while (next++ < count) await work();
  }));
}
