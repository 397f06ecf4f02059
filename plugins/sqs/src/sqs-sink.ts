import { createHash } from 'node:crypto';
import {
  batchBytes, defineComponent, setAsideRejected, SluiceError, type Problem, type RejectedEvent, type Sink, type SinkContext, type SluiceEvent, type Status,
  takeSinkBatch,
} from '@sluice/core';
import { encodeEvent } from './message-codec.js';
import { MessageTemplate } from './message-template.js';
import { QueueClient, type OutgoingMessage } from './queue-client.js';
import { describeQueue, isFifoQueue, queueProblems, QUEUE_REQUIRED, QUEUE_SCHEMA_PROPERTIES, type SqsQueueConfig } from './sqs-queue.js';

/** Config of the `sqs` sink. */
export interface SqsSinkConfig extends SqsQueueConfig {
  batchSize: number;
  sendConcurrency: number;
  headerAttributes: boolean;
  messageGroupId: string;
  messageDeduplicationId: string;
  delaySeconds: number;
  entryAttempts: number;
}

/** The FIFO group of events whose group template renders empty. */
const DEFAULT_GROUP = 'default';

/**
 * Sends each batch it takes to an SQS queue with SendMessageBatch (requests of at most 10
 * messages and the queue's MaximumMessageSize in bytes, `sendConcurrency` at a time; one at a
 * time on FIFO queues) and commits the channel transaction only after SQS stored every message.
 * An entry that fails for a retriable reason is sent again alone (`entryAttempts`); a failed
 * request rolls the whole batch back, so messages SQS already stored are sent again (duplicates,
 * never losses; on FIFO queues the deduplication id drops repeats within 5 minutes).
 *
 * Events SQS can never take (larger than the queue's MaximumMessageSize once encoded, or refused
 * as SenderFault) go to the sink's dead-letter channel at once, each with its reason, and the rest
 * of the batch is delivered. Without a dead-letter channel they are dropped with a warning and
 * counted as EventRejectedCount (core's `setAsideRejected`).
 *
 * Body and headers are encoded as {@link encodeEvent} describes, so an sqs source reads them back unchanged.
 */
export class SqsSink implements Sink {
  readonly name: string;
  private queue: QueueClient | undefined;
  private readonly fifo: boolean;
  private readonly groupTemplate: MessageTemplate;
  private readonly dedupTemplate: MessageTemplate;

  constructor(private readonly config: SqsSinkConfig, private readonly ctx: SinkContext) {
    this.name = ctx.name;
    this.fifo = isFifoQueue(config.queueUrl);
    this.groupTemplate = new MessageTemplate(config.messageGroupId);
    this.dedupTemplate = new MessageTemplate(config.messageDeduplicationId);
    ctx.metrics.inc('EventDeadLetterCount', 0);
  }

  async start(): Promise<void> {
    if (this.queue) return;
    this.queue = await QueueClient.open(this.config, { component: `sqs sink '${this.name}'`, metrics: this.ctx.metrics, logger: this.ctx.logger, entryAttempts: this.config.entryAttempts });
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ queue: describeQueue(this.config), fifo: this.fifo, messageLimit: this.queue.messageLimit }, 'sqs sink started');
  }

  async stop(): Promise<void> {
    if (!this.queue) return;
    this.queue.close();
    this.queue = undefined;
    this.ctx.metrics.stopTime = Date.now();
  }

  async process(): Promise<Status> {
    const queue = this.queue;
    if (!queue) throw new SluiceError('SLUICE_DELIVERY_FAILED', `sqs sink '${this.name}' is not started`);
    const { metrics } = this.ctx;
    const tx = this.ctx.channel.transaction();
    const events = await takeSinkBatch(this.ctx, tx, this.config.batchSize);
    if (!events) return 'backoff';

    const rejected: RejectedEvent[] = [];
    const rejectedAs = (event: SluiceEvent, reason: string): RejectedEvent => ({ event, error: new SluiceError('SLUICE_EVENT_REJECTED', `sqs sink '${this.name}': ${reason}`) });
    const outgoing: OutgoingMessage[] = [];
    const sentEvents: SluiceEvent[] = [];
    for (const event of events) {
      const message = this.toMessage(event);
      if (message.size > queue.messageLimit) {
        rejected.push(rejectedAs(event, `the encoded message is ${message.size} bytes, over the queue's MaximumMessageSize of ${queue.messageLimit} bytes`));
      } else {
        outgoing.push(message);
        sentEvents.push(event);
      }
    }
    try {
      const refused = await queue.send(outgoing, this.config.sendConcurrency, 'SLUICE_DELIVERY_FAILED');
      for (const r of refused) rejected.push(rejectedAs(sentEvents[r.index]!, `SQS refused the message (${r.reason})`));
      // One poison event never stalls the sink: dead-lettered, or dropped and counted without a channel.
      if (!(await setAsideRejected(this.ctx, rejected))) {
        throw new SluiceError('SLUICE_DELIVERY_FAILED', `sqs sink '${this.name}': the dead-letter channel refused ${rejected.length} event(s) SQS cannot take; the batch is retried`);
      }
    } catch (error) {
      metrics.counters.EventWriteFail! += 1;
      await tx.rollback();
      throw error;
    }
    await tx.commit();
    const delivered = events.length - rejected.length;
    metrics.counters.EventDrainSuccessCount! += delivered;
    const { telemetry } = this.ctx;
    if (telemetry.observed && delivered > 0) telemetry.emit('sink.events_sent', this.name, delivered, batchBytes(sentEvents));
    return 'ready';
  }

  private toMessage(event: SluiceEvent): OutgoingMessage {
    const message: OutgoingMessage = encodeEvent(event, { headerAttributes: this.config.headerAttributes });
    if (this.fifo) {
      message.groupId = this.groupTemplate.render(event) || DEFAULT_GROUP;
      message.deduplicationId = this.dedupTemplate.render(event) || contentHash(event);
    } else if (this.config.delaySeconds > 0) {
      message.delaySeconds = this.config.delaySeconds;
    }
    return message;
  }

}

/** SHA-256 of headers and body: the deduplication id of an event without one, so a re-sent batch is dropped by a FIFO queue. */
function contentHash(event: SluiceEvent): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(event.headers).sort()) hash.update(name).update('\0').update(event.headers[name]!).update('\0');
  return hash.update(event.body).digest('hex');
}

/** What the constructor cannot accept: the queue keys' problems, FIFO-only keys on a standard queue and the reverse. */
export function sqsSinkProblems(config: SqsSinkConfig): Problem[] {
  const problems = queueProblems(config);
  if (isFifoQueue(config.queueUrl) && config.delaySeconds > 0) {
    problems.push({ path: '/delaySeconds', message: 'FIFO queues have no per-message delay', hint: 'set DelaySeconds on the queue instead, or remove delaySeconds' });
  }
  return problems;
}

export const sqsSink = defineComponent<'sink', SqsSinkConfig>({
  kind: 'sink',
  type: 'sqs',
  description: 'Sends events to an Amazon SQS queue (standard or FIFO) with SendMessageBatch; headers become message attributes.',
  guarantee: 'At least once: the channel transaction commits only after SQS stored every message of the batch; a failure rolls the batch back and it is sent again, which can duplicate messages already stored (FIFO queues drop repeats within their 5-minute deduplication window). Events SQS can never accept go to the dead-letter channel with their reason, or are dropped and counted (EventRejectedCount) if there is none.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...QUEUE_SCHEMA_PROPERTIES,
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Events taken per channel transaction; sent in SendMessageBatch requests of up to 10.' },
      sendConcurrency: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'SendMessageBatch requests in flight at once for one batch (always 1 on a FIFO queue, to keep group order).' },
      headerAttributes: { type: 'boolean', default: true, description: 'Send headers as String message attributes (SQS allows 10; the rest, and headers whose name or value SQS does not accept as an attribute, go together as JSON in the attribute sluice.headers). false sends them all in sluice.headers.' },
      messageGroupId: { type: 'string', maxLength: 128, default: '%{sqs.messageGroupId}', description: 'FIFO queues: the MessageGroupId, literal text with %{header} references; an empty result uses the group `default`. Messages of one group are delivered in order, one consumer at a time.' },
      messageDeduplicationId: { type: 'string', maxLength: 128, default: '', description: 'FIFO queues: the MessageDeduplicationId, literal text with %{header} references; empty uses a SHA-256 of the headers and body, so a batch re-sent after a failure is not stored twice within 5 minutes.' },
      delaySeconds: { type: 'integer', minimum: 0, maximum: 900, default: 0, description: 'Standard queues: seconds each message stays invisible after it is sent (DelaySeconds).' },
      entryAttempts: { type: 'integer', minimum: 1, default: 3, description: 'Attempts of a batch entry that SQS failed for a retriable reason (sent again alone) before the whole batch is rolled back.' },
    },
    required: [...QUEUE_REQUIRED, 'batchSize', 'sendConcurrency', 'headerAttributes', 'messageGroupId', 'messageDeduplicationId', 'delaySeconds', 'entryAttempts'],
  } as never,
  check: sqsSinkProblems,
  create: (config, ctx) => new SqsSink(config, ctx),
});
