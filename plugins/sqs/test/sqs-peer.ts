import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';

/**
 * The SQS a test talks to: a real endpoint when SQS_ENDPOINT is set (with SQS_REGION and the
 * standard AWS credentials; queues are created with a unique prefix and deleted at close),
 * otherwise fauxqs on 127.0.0.1 (an SQS emulator with visibility timeouts, FIFO and batches).
 */
export interface SqsPeer {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  client: SQSClient;
  /** True for fauxqs. */
  local: boolean;
  /** The AWS keys of a component config pointing at this peer. */
  aws(): { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; maxAttempts: number };
  /** Creates a queue (FIFO when `fifo`), returns its URL. */
  createQueue(name: string, options?: { fifo?: boolean; visibilityTimeout?: number; contentDedup?: boolean }): Promise<string>;
  /** Visible plus in-flight messages of a queue. */
  depth(queueUrl: string): Promise<{ visible: number; inFlight: number }>;
  /** Receives and deletes nothing: up to `max` messages, hidden for `visibility` seconds. */
  receive(queueUrl: string, max?: number, visibility?: number): Promise<Message[]>;
  /** Every message in the queue, received and deleted (FIFO groups unlock as they are deleted). */
  drain(queueUrl: string): Promise<Message[]>;
  /** Sends bodies as plain messages (FIFO: group `group`). */
  send(queueUrl: string, bodies: string[], group?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startSqsPeer(): Promise<SqsPeer> {
  const real = process.env.SQS_ENDPOINT;
  const server = real ? undefined : await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const endpoint = real ?? server!.address;
  const region = process.env.SQS_REGION ?? 'us-east-1';
  const accessKeyId = real ? process.env.AWS_ACCESS_KEY_ID ?? '' : 'fauxqs';
  const secretAccessKey = real ? process.env.AWS_SECRET_ACCESS_KEY ?? '' : 'fauxqs';
  const client = new SQSClient({ endpoint, region, maxAttempts: 2, credentials: accessKeyId ? { accessKeyId, secretAccessKey } : undefined, useQueueUrlAsEndpoint: false });
  const prefix = `sluice-${randomUUID().slice(0, 8)}-`;
  const created: string[] = [];
  return {
    endpoint, region, accessKeyId, secretAccessKey, client, local: !real,
    aws: () => ({ endpoint, region, accessKeyId, secretAccessKey, maxAttempts: 2 }),
    async createQueue(name, options = {}) {
      const attributes: Record<string, string> = { VisibilityTimeout: String(options.visibilityTimeout ?? 30) };
      if (options.fifo) attributes.FifoQueue = 'true';
      if (options.contentDedup) attributes.ContentBasedDeduplication = 'true';
      const answer = await client.send(new CreateQueueCommand({ QueueName: `${prefix}${name}${options.fifo ? '.fifo' : ''}`, Attributes: attributes }));
      created.push(answer.QueueUrl!);
      return answer.QueueUrl!;
    },
    async depth(queueUrl) {
      const answer = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return { visible: Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
    },
    async receive(queueUrl, max = 10, visibility = 30) {
      const answer = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, VisibilityTimeout: visibility, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
      return answer.Messages ?? [];
    },
    async drain(queueUrl) {
      const out: Message[] = [];
      for (let empty = 0; empty < (real ? 3 : 1);) {
        const answer = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: real ? 1 : 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
        const batch = answer.Messages ?? [];
        if (batch.length === 0) {
          empty++;
          continue;
        }
        out.push(...batch);
        await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
      return out;
    },
    async send(queueUrl, bodies, group) {
      for (let i = 0; i < bodies.length; i += 10) {
        const entries = bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body, ...(group === undefined ? {} : { MessageGroupId: group, MessageDeduplicationId: randomUUID() }) }));
        const answer = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        if (answer.Failed && answer.Failed.length > 0) throw new Error(`send failed: ${JSON.stringify(answer.Failed)}`);
      }
    },
    async close() {
      if (real) for (const QueueUrl of created) await client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
      client.destroy();
      await server?.stop();
    },
  };
}
