import type { Message } from '@aws-sdk/client-sqs';
import {
  Backoff, batchBytes, defineComponent, DURATION_PATTERN, errorCode, parseDuration, SluiceError,
  type EventDrivenSource, type SluiceEvent, type SourceContext,
} from '@sluice/core';
import { decodeMessage } from './message-codec.js';
import { QueueClient } from './queue-client.js';
import { describeQueue, queueProblems, QUEUE_REQUIRED, QUEUE_SCHEMA_PROPERTIES, wholeSeconds, type SqsQueueConfig } from './sqs-queue.js';
import { VisibilityKeeper } from './visibility-keeper.js';

/** Config of the `sqs` source. */
export interface SqsSourceConfig extends SqsQueueConfig {
  waitTime: string;
  maxMessages: number;
  batchSize: number;
  pollers: number;
  visibilityTimeout: string;
  maxBackoff: string;
}

/** JSON Schema of {@link SqsSourceConfig}. */
export const SQS_SOURCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...QUEUE_SCHEMA_PROPERTIES,
    waitTime: { type: 'string', pattern: DURATION_PATTERN, default: '20s', description: 'Long polling: how long a ReceiveMessage waits for messages when the queue is empty (0 to 20s, whole seconds). 20s costs the fewest requests.' },
    maxMessages: { type: 'integer', minimum: 1, maximum: 10, default: 10, description: 'Messages asked for per ReceiveMessage (SQS returns at most 10).' },
    batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Most messages a poller delivers to the channels in one batch: it keeps receiving without waiting while the queue returns full answers, up to this many.' },
    pollers: { type: 'integer', minimum: 1, maximum: 64, default: 2, description: 'Concurrent receive loops, each delivering its own batches.' },
    visibilityTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long received messages stay hidden from other consumers; extended every third of it while a delivery is pending, so it only matters after a crash (how soon another consumer gets them).' },
    maxBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'Longest wait of a poller after a channel refused its batch or SQS failed; it starts at 100ms and doubles.' },
  },
  required: [...QUEUE_REQUIRED, 'waitTime', 'maxMessages', 'batchSize', 'pollers', 'visibilityTimeout', 'maxBackoff'],
} as const;

/**
 * Receives messages from an SQS queue with `pollers` long-polling loops and delivers them to its
 * channels. A poller's batch is deleted (DeleteMessageBatch) only after `deliver` resolved, that
 * is after every required channel committed it; while the delivery is pending the messages'
 * visibility timeout is extended, so a slow commit does not make them reappear. When a channel
 * refuses the batch (full, unavailable) the messages are made visible again at once
 * (ChangeMessageVisibility 0), never deleted, and the poller backs off. Deletes that fail are
 * retried and counted (SqsDeleteFailCount); such messages come back after their timeout.
 *
 * Headers: the message attributes (and the headers the sqs sink or channel packed into
 * `sluice.headers`), then `sqs.messageId`, `sqs.sentTimestamp`, `sqs.approximateReceiveCount`,
 * and on FIFO queues `sqs.messageGroupId`, `sqs.sequenceNumber`, `sqs.messageDeduplicationId`;
 * `timestamp` is the send time unless the message carried one.
 *
 * FIFO queues: SQS hands out a message group to one receiver at a time and the next messages of
 * the group only after the previous ones were deleted, which here is after they were committed,
 * so each group's order reaches the channel intact, whatever the number of pollers.
 *
 * Stop waits for the deliveries in progress and their deletes, and interrupts pending long polls:
 * messages SQS handed to an interrupted poll stay hidden until their visibility timeout ends.
 */
export class SqsSource implements EventDrivenSource {
  readonly name: string;
  private queue: QueueClient | undefined;
  private keeper: VisibilityKeeper | undefined;
  private running = false;
  private abort = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly waitSeconds: number;
  private readonly visibilitySeconds: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly config: SqsSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.waitSeconds = wholeSeconds(config.waitTime, 20);
    this.visibilitySeconds = Math.max(1, wholeSeconds(config.visibilityTimeout, 43200));
    this.maxBackoffMs = parseDuration(config.maxBackoff);
    for (const counter of ['SqsReleaseCount', 'SqsVisibilityExtendCount']) ctx.metrics.inc(counter, 0);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const queue = await QueueClient.open(this.config, { component: `sqs source '${this.name}'`, metrics: this.ctx.metrics, logger: this.ctx.logger });
    this.queue = queue;
    this.keeper = new VisibilityKeeper(queue, this.visibilitySeconds, (n) => this.ctx.metrics.inc('SqsVisibilityExtendCount', n));
    this.abort = new AbortController();
    this.running = true;
    this.ctx.metrics.startTime = Date.now();
    this.loops = Array.from({ length: this.config.pollers }, () => this.receiveLoop(queue, this.keeper!));
    this.ctx.logger.info({ queue: describeQueue(this.config), pollers: this.config.pollers, fifo: queue.fifo }, 'sqs source started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    await Promise.all(this.loops);
    this.loops = [];
    const held = this.keeper!.all();
    this.keeper!.stop();
    if (held.length > 0) await this.queue!.changeVisibility(held, 0);
    this.queue!.close();
    this.queue = undefined;
    this.ctx.metrics.stopTime = Date.now();
  }

  /**
   * One receive loop: receive a batch, deliver it, delete it; release it when delivery fails.
   * (Not named poll: a source with a poll() method is driven as a PollableSource.)
   */
  private async receiveLoop(queue: QueueClient, keeper: VisibilityKeeper): Promise<void> {
    const backoff = new Backoff(Math.min(100, this.maxBackoffMs), this.maxBackoffMs);
    let deleting: Promise<unknown> = Promise.resolve();
    // Halved on each refusal (a batch larger than the channel's room must shrink to get through), doubled back on success.
    let limit = this.config.batchSize;
    while (this.running) {
      let messages: Message[];
      try {
        messages = await this.receiveBatch(queue, limit);
      } catch (error) {
        const failure = new SluiceError('SLUICE_DELIVERY_FAILED', `sqs source '${this.name}': ReceiveMessage from ${this.config.queueUrl} failed: ${(error as Error).message}`, { cause: error });
        this.ctx.telemetry.emit('component.error', this.name, 0, 0, failure);
        this.ctx.logger[backoff.failures < 3 ? 'debug' : 'warn']({ err: failure }, 'sqs source could not receive; retrying');
        await this.pause(backoff.next());
        continue;
      }
      if (messages.length === 0) {
        // Without long polling an empty queue would be asked in a tight loop.
        if (this.waitSeconds === 0) await this.pause(Math.min(200, this.maxBackoffMs));
        continue;
      }
      const held = messages.map((m) => ({ receiptHandle: m.ReceiptHandle! }));
      keeper.hold(held);
      const events = messages.map(toEvent);
      try {
        await this.ctx.deliver(events);
      } catch (error) {
        // Visible again at once for any consumer; never deleted.
        this.ctx.metrics.inc('SqsReleaseCount', messages.length);
        keeper.forget(held);
        await queue.changeVisibility(held, 0);
        this.ctx.telemetry.emit('component.error', this.name, events.length, batchBytes(events), error);
        const full = errorCode(error) === 'SLUICE_CHANNEL_FULL';
        this.ctx.logger[full || backoff.failures < 3 ? 'debug' : 'warn']({ err: error, code: errorCode(error), messages: messages.length }, 'sqs source: a channel refused the batch; its messages are visible again');
        limit = Math.max(1, messages.length >> 1);
        await this.pause(backoff.next());
        continue;
      }
      backoff.reset();
      limit = Math.min(this.config.batchSize, limit * 2);
      // At most one delete in flight per poller, overlapping the next receive.
      await deleting;
      deleting = queue.delete(held).then(() => keeper.forget(held));
    }
    await deleting;
  }

  /** Receives until `batchSize` messages or an answer that is not full; the first call long-polls. */
  private async receiveBatch(queue: QueueClient, batchSize: number): Promise<Message[]> {
    const maxMessages = Math.min(this.config.maxMessages, batchSize);
    const out = await queue.receive(maxMessages, this.waitSeconds, this.visibilitySeconds, this.abort.signal);
    let last = out.length;
    while (this.running && last === maxMessages && out.length < batchSize) {
      let more: Message[];
      try {
        more = await queue.receive(Math.min(maxMessages, batchSize - out.length), 0, this.visibilitySeconds, this.abort.signal);
      } catch {
        break; // deliver what was received; the next loop reports the failure
      }
      for (const m of more) out.push(m);
      last = more.length;
    }
    return out;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.running) return resolve();
      const timer = setTimeout(done, ms);
      const signal = this.abort.signal;
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}

/** The event of a received message: its own headers, then the SQS system attributes. */
export function toEvent(message: Message): SluiceEvent {
  const event = decodeMessage(message);
  const headers = event.headers;
  const system = message.Attributes ?? {};
  if (message.MessageId !== undefined) headers['sqs.messageId'] = message.MessageId;
  if (system.SentTimestamp !== undefined) {
    headers['sqs.sentTimestamp'] = system.SentTimestamp;
    if (headers.timestamp === undefined) headers.timestamp = system.SentTimestamp;
  }
  if (system.ApproximateReceiveCount !== undefined) headers['sqs.approximateReceiveCount'] = system.ApproximateReceiveCount;
  if (system.MessageGroupId !== undefined) headers['sqs.messageGroupId'] = system.MessageGroupId;
  if (system.SequenceNumber !== undefined) headers['sqs.sequenceNumber'] = system.SequenceNumber;
  if (system.MessageDeduplicationId !== undefined) headers['sqs.messageDeduplicationId'] = system.MessageDeduplicationId;
  return event;
}

export const sqsSource = defineComponent<'source', SqsSourceConfig>({
  kind: 'source',
  type: 'sqs',
  description: 'Receives messages from an Amazon SQS queue (standard or FIFO) with long polling; attributes become headers.',
  guarantee: 'At least once: a batch is deleted from the queue only after every required channel committed it. A refused batch is made visible again at once, never deleted; after a crash the undeleted messages reappear when their visibility timeout ends, so events can repeat (a batch in flight at the crash), never be lost. FIFO queues keep each message group\'s order into the channel.',
  schema: SQS_SOURCE_SCHEMA as never,
  check: (config) => queueProblems(config),
  create: (config, ctx) => new SqsSource(config, ctx),
});
