import { SluiceError, type Logger, type MetricGroup } from '@sluice/core';
import type { Message, MessageAttributeValue, SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { connectSqs, isFifoQueue, isRetriableSqsFailure, toSluiceError, type SqsModule, type SqsQueueConfig } from './sqs-queue.js';

/** SQS's hard limits on a batch call. */
const BATCH_ENTRIES = 10;
/** The message size limit when the queue does not say (SQS's long-standing 256 KiB). */
export const DEFAULT_MESSAGE_LIMIT = 256 * 1024;

/** One message to send: its encoded form plus the FIFO and delay fields. */
export interface OutgoingMessage {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  size: number;
  groupId?: string;
  deduplicationId?: string;
  delaySeconds?: number;
}

/** A message SQS refused for a reason retrying cannot fix (SenderFault), by its index in the send. */
export interface RefusedMessage {
  index: number;
  reason: string;
}

/** A received message: what a later delete or visibility change needs. */
export interface HeldMessage {
  receiptHandle: string;
}

/** Options of {@link QueueClient}. */
export interface QueueClientOptions {
  /** Whose calls these are, for errors and logs (`sqs sink 'out'`). */
  component: string;
  metrics: MetricGroup;
  logger: Logger;
  /** Attempts of one failed batch entry (alone, after its batch) before the call fails; at least 1. */
  entryAttempts?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The SQS calls the sqs source, sink and channel make, on one SDK client. Batch calls are split
 * into requests of at most 10 entries (and, for sends, at most the queue's message size in
 * bytes); an entry that fails for a retriable reason is sent again alone, after its batch, up to
 * `entryAttempts` times. Created by {@link QueueClient.open} at a component's start (the SDK is
 * imported then), closed at its stop. Counters: `SqsSendCount`, `SqsReceiveCount`,
 * `SqsDeleteCount` (requests), `SqsEntryRetryCount`, `SqsDeleteFailCount`,
 * `SqsVisibilityChangeCount`.
 */
export class QueueClient {
  readonly fifo: boolean;
  /** The queue's MaximumMessageSize (read at open; 256 KiB when the queue does not tell). */
  messageLimit = DEFAULT_MESSAGE_LIMIT;
  private readonly entryAttempts: number;

  private constructor(readonly sdk: SqsModule, readonly client: SQSClient, readonly queueUrl: string, private readonly options: QueueClientOptions) {
    this.fifo = isFifoQueue(queueUrl);
    this.entryAttempts = Math.max(1, options.entryAttempts ?? 3);
    for (const counter of ['SqsSendCount', 'SqsReceiveCount', 'SqsDeleteCount', 'SqsEntryRetryCount', 'SqsDeleteFailCount', 'SqsVisibilityChangeCount']) options.metrics.inc(counter, 0);
  }

  /**
   * Loads the SDK, connects and reads the queue's MaximumMessageSize. A missing queue, region or
   * credentials fail with SLUICE_COMPONENT_START; any other failure of that read only logs.
   */
  static async open(config: SqsQueueConfig, options: QueueClientOptions): Promise<QueueClient> {
    const { sdk, client } = await connectSqs(config, options.component);
    const queue = new QueueClient(sdk, client, config.queueUrl, options);
    try {
      const answer = await client.send(new sdk.GetQueueAttributesCommand({ QueueUrl: config.queueUrl, AttributeNames: ['MaximumMessageSize'] }));
      const limit = Number(answer.Attributes?.MaximumMessageSize);
      if (Number.isFinite(limit) && limit > 0) queue.messageLimit = limit;
    } catch (error) {
      const { name = '', message = '' } = error as { name?: string; message?: string };
      // Nothing will work without a queue, a region or credentials: say so now, not at every call.
      if (/NonExistentQueue|QueueDoesNotExist/.test(name) || /region is missing/i.test(message) || name === 'CredentialsProviderError') {
        client.destroy();
        const hint = /region/i.test(message) ? 'set region (or AWS_REGION)' : name === 'CredentialsProviderError' ? 'provide credentials through the AWS chain, profile or accessKeyId/secretAccessKey' : 'check queueUrl (and region/endpoint): the queue must exist';
        throw new SluiceError('SLUICE_COMPONENT_START', `${options.component} cannot use queue ${config.queueUrl}: ${message || name}; ${hint}`, { cause: error });
      }
      // Access denied to GetQueueAttributes alone (a send-only policy), or an outage that the calls will retry.
      options.logger.warn({ err: error, queueUrl: config.queueUrl }, 'could not read the queue\'s MaximumMessageSize; assuming 256 KiB');
    }
    return queue;
  }

  close(): void {
    this.client.destroy();
  }

  /** Approximate visible and in-flight message counts (GetQueueAttributes). */
  async depth(): Promise<number> {
    const answer = await this.client.send(new this.sdk.GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /**
   * Sends messages with SendMessageBatch, at most `concurrency` requests at a time (1 on a FIFO
   * queue, so each group's messages arrive in order). Resolves with the messages SQS refused
   * for good (SenderFault: invalid contents, too large); rejects with a SluiceError of `code` (or
   * SLUICE_EVENT_REJECTED) when a request fails or an entry still fails after its retries, in which
   * case some messages may already be stored.
   */
  async send(messages: readonly OutgoingMessage[], concurrency: number, code: 'SLUICE_DELIVERY_FAILED' | 'SLUICE_CHANNEL_UNAVAILABLE'): Promise<RefusedMessage[]> {
    const chunks: number[][] = [];
    let chunk: number[] = [];
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      const size = messages[i]!.size;
      if (chunk.length === BATCH_ENTRIES || (chunk.length > 0 && bytes + size > this.messageLimit)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(i);
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    const refused: RefusedMessage[] = [];
    await this.pool(chunks, this.fifo ? 1 : concurrency, (indexes) => this.sendChunk(messages, indexes, refused, code));
    return refused.sort((a, b) => a.index - b.index);
  }

  private async sendChunk(messages: readonly OutgoingMessage[], indexes: number[], refused: RefusedMessage[], code: 'SLUICE_DELIVERY_FAILED' | 'SLUICE_CHANNEL_UNAVAILABLE'): Promise<void> {
    let pending = indexes;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const entries: SendMessageBatchRequestEntry[] = pending.map((index) => {
        const m = messages[index]!;
        const entry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: m.body };
        if (Object.keys(m.attributes).length > 0) entry.MessageAttributes = m.attributes;
        if (m.groupId !== undefined) entry.MessageGroupId = m.groupId;
        if (m.deduplicationId !== undefined) entry.MessageDeduplicationId = m.deduplicationId;
        if (m.delaySeconds) entry.DelaySeconds = m.delaySeconds;
        return entry;
      });
      let answer;
      try {
        this.options.metrics.inc('SqsSendCount');
        answer = await this.client.send(new this.sdk.SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      } catch (error) {
        throw toSluiceError(error, `${this.options.component}: SendMessageBatch of ${entries.length} messages to ${this.queueUrl}`, code);
      }
      const retry: number[] = [];
      let lastReason = '';
      for (const failed of answer.Failed ?? []) {
        const index = Number(failed.Id);
        const reason = `${failed.Code ?? 'Error'}: ${failed.Message ?? 'no message'}`;
        if (failed.SenderFault) refused.push({ index, reason });
        else {
          retry.push(index);
          lastReason = reason;
        }
      }
      if (retry.length > 0 && attempt >= this.entryAttempts) {
        throw new SluiceError(code, `${this.options.component}: SQS did not store ${retry.length} messages after ${attempt} attempts (${lastReason}); the batch is retried`);
      }
      if (retry.length > 0) {
        this.options.metrics.inc('SqsEntryRetryCount', retry.length);
        await sleep(50 * 2 ** attempt);
      }
      pending = retry;
    }
  }

  /**
   * Receives up to `max` (at most 10) messages, waiting up to `waitSeconds` for the first one.
   * `visibilitySeconds` hides them from other receivers meanwhile. Resolves [] when aborted.
   */
  async receive(max: number, waitSeconds: number, visibilitySeconds: number, signal?: AbortSignal): Promise<Message[]> {
    this.options.metrics.inc('SqsReceiveCount');
    try {
      const answer = await this.client.send(new this.sdk.ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(BATCH_ENTRIES, max),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: visibilitySeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount', 'MessageGroupId', 'SequenceNumber', 'MessageDeduplicationId'],
      }), signal ? { abortSignal: signal } : undefined);
      return answer.Messages ?? [];
    } catch (error) {
      if (signal?.aborted) return [];
      throw error;
    }
  }

  /**
   * Deletes messages (DeleteMessageBatch), retrying entries that failed for a retriable reason.
   * Resolves with the number that could not be deleted (counted as SqsDeleteFailCount and logged:
   * they reappear after their visibility timeout, so they are delivered again, never lost).
   */
  async delete(held: readonly HeldMessage[]): Promise<number> {
    let failed = 0;
    await this.pool(chunksOf(held), 4, async (chunk) => {
      let pending = chunk;
      let lost = 0;
      let reason = '';
      for (let attempt = 1; pending.length > 0; attempt++) {
        let retry: HeldMessage[] = [];
        try {
          this.options.metrics.inc('SqsDeleteCount');
          const answer = await this.client.send(new this.sdk.DeleteMessageBatchCommand({
            QueueUrl: this.queueUrl, Entries: pending.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
          }));
          for (const f of answer.Failed ?? []) {
            reason = `${f.Code}: ${f.Message}`;
            // An invalid or expired receipt handle will not get better: the message is back in the queue.
            if (f.SenderFault) lost++;
            else retry.push(pending[Number(f.Id)]!);
          }
        } catch (error) {
          reason = (error as Error).message;
          if (isRetriableSqsFailure(error)) retry = pending;
          else lost += pending.length;
        }
        if (retry.length > 0 && attempt >= this.entryAttempts) {
          lost += retry.length;
          retry = [];
        }
        if (retry.length > 0) {
          this.options.metrics.inc('SqsEntryRetryCount', retry.length);
          await sleep(50 * 2 ** attempt);
        }
        pending = retry;
      }
      if (lost > 0) {
        failed += lost;
        this.options.logger.warn({ queueUrl: this.queueUrl, messages: lost, reason }, 'could not delete committed messages; they will be received again after their visibility timeout (duplicates, never a loss)');
      }
    });
    if (failed > 0) this.options.metrics.inc('SqsDeleteFailCount', failed);
    return failed;
  }

  /**
   * Sets the visibility timeout of held messages: 0 makes them visible again at once (a release),
   * more extends it. Entries are sent in reverse order, so a FIFO group whose messages return to
   * its head one by one ends up in its original order. Failures are logged, never thrown: a
   * message whose change failed becomes visible when its current timeout ends anyway.
   */
  async changeVisibility(held: readonly HeldMessage[], seconds: number): Promise<void> {
    const reversed = [...held].reverse();
    await this.pool(chunksOf(reversed), 4, async (chunk) => {
      try {
        this.options.metrics.inc('SqsVisibilityChangeCount');
        const answer = await this.client.send(new this.sdk.ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl, Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle, VisibilityTimeout: seconds })),
        }));
        if (answer.Failed && answer.Failed.length > 0) {
          this.options.logger.warn({ queueUrl: this.queueUrl, failed: answer.Failed.length, reason: `${answer.Failed[0]!.Code}: ${answer.Failed[0]!.Message}` }, `could not set the visibility timeout of some messages to ${seconds}s`);
        }
      } catch (error) {
        this.options.logger.warn({ err: error, queueUrl: this.queueUrl, messages: chunk.length }, `could not set the visibility timeout of messages to ${seconds}s; they become visible when their current timeout ends`);
      }
    });
  }

  /** Runs `work` over `items` with at most `limit` at a time; rejects with the first failure after all settled. */
  private async pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
    if (items.length === 1) return work(items[0]!);
    let next = 0;
    let failure: unknown;
    let failed = false;
    const lane = async (): Promise<void> => {
      while (next < items.length && !failed) {
        const item = items[next++]!;
        try {
          await work(item);
        } catch (error) {
          if (!failed) failure = error;
          failed = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
    if (failed) throw failure;
  }
}

function chunksOf<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH_ENTRIES) chunks.push(items.slice(i, i + BATCH_ENTRIES));
  return chunks;
}
