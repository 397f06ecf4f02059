import { randomBytes, randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import {
  BaseChannel, BaseTransaction, batchBytes, defineComponent, DURATION_PATTERN, SluiceError,
  type ComponentContext, type SluiceEvent,
} from '@sluice/core';
import { decodeMessage, encodeEvent, SEQUENCE_ATTRIBUTE } from './message-codec.js';
import { MessageTemplate } from './message-template.js';
import { QueueClient, type HeldMessage, type OutgoingMessage } from './queue-client.js';
import { describeQueue, isFifoQueue, queueProblems, QUEUE_REQUIRED, QUEUE_SCHEMA_PROPERTIES, wholeSeconds, type SqsQueueConfig } from './sqs-queue.js';
import { VisibilityKeeper } from './visibility-keeper.js';

/** Config of the `sqs` channel. */
export interface SqsChannelConfig extends SqsQueueConfig {
  transactionCapacity: number;
  pollTimeout: string;
  visibilityTimeout: string;
  receiveConcurrency: number;
  sendConcurrency: number;
  messageGroupId: string;
  depthInterval: string;
}

/** A message taken by a transaction: its event, receipt handle and put order. */
interface Taken extends HeldMessage {
  event: SluiceEvent;
  seq: string;
}

/**
 * A channel whose storage is an SQS queue, shared by every agent that names it: a put commit
 * sends (SendMessageBatch), a take receives, a take's commit deletes (DeleteMessageBatch) and a
 * rollback makes the messages visible again at once (ChangeMessageVisibility 0), for this agent or
 * any other. Taken messages stay invisible while their transaction is open (their visibility
 * timeout is extended), and a stopping channel releases what open transactions still hold. After a
 * crash, what the agent had taken and not committed reappears when its visibility timeout ends.
 *
 * Order: each message carries its put order (`sluice.seq`: commit time, channel instance,
 * counter), and a take returns what it received sorted by it. Beyond one take, a standard queue's
 * order is best effort (a rolled-back message returns behind newer ones); a FIFO queue keeps the
 * order of each message group (`messageGroupId`) and hands a group to one taker at a time.
 *
 * SQS holds the capacity: `capacity` is 0, and `ChannelSize` is the queue's approximate depth
 * (visible plus in flight, read every `depthInterval`).
 */
export class SqsChannel extends BaseChannel {
  readonly config: SqsChannelConfig;
  /** @internal */ queue: QueueClient | undefined;
  /** @internal */ keeper: VisibilityKeeper | undefined;
  /** @internal */ readonly pollSeconds: number;
  private readonly visibilitySeconds: number;
  private readonly groupTemplate: MessageTemplate;
  private readonly instance = randomBytes(4).toString('hex');
  private counter = 0;
  private depth = 0;
  private depthTimer: NodeJS.Timeout | undefined;

  constructor(config: SqsChannelConfig, ctx: ComponentContext) {
    super(ctx);
    this.config = config;
    this.pollSeconds = wholeSeconds(config.pollTimeout, 20);
    this.visibilitySeconds = Math.max(1, wholeSeconds(config.visibilityTimeout, 43200));
    this.groupTemplate = new MessageTemplate(config.messageGroupId);
    for (const counter of ['RollbackCount', 'SqsVisibilityExtendCount']) ctx.metrics.inc(counter, 0);
  }

  get size(): number {
    return this.depth;
  }

  get capacity(): number {
    return 0;
  }

  /** @internal */ get visibility(): number {
    return this.visibilitySeconds;
  }

  protected override async _start(): Promise<void> {
    const queue = await QueueClient.open(this.config, { component: `sqs channel '${this.name}'`, metrics: this.ctx.metrics, logger: this.ctx.logger });
    this.queue = queue;
    this.keeper = new VisibilityKeeper(queue, this.visibilitySeconds, (n) => this.ctx.metrics.inc('SqsVisibilityExtendCount', n));
    const refresh = (): void => {
      queue.depth().then((depth) => { this.depth = depth; }, (err: unknown) => this.ctx.logger.debug({ err }, 'sqs channel could not read the queue depth'));
    };
    refresh();
    this.depthTimer = setInterval(refresh, Math.max(1000, wholeSeconds(this.config.depthInterval, 86400) * 1000));
    this.depthTimer.unref();
    this.ctx.logger.info({ queue: describeQueue(this.config), fifo: queue.fifo }, 'sqs channel started');
  }

  protected override async _stop(): Promise<void> {
    clearInterval(this.depthTimer);
    const queue = this.queue!;
    const held = this.keeper!.all();
    this.keeper!.stop();
    // What open transactions hold goes back to the queue now, not after the visibility timeout.
    if (held.length > 0) await queue.changeVisibility(held, 0);
    queue.close();
    this.queue = undefined;
    this.keeper = undefined;
  }

  protected _transaction(): BaseTransaction {
    return new SqsTransaction(this);
  }

  /** @internal The messages of a put commit, with their put order and FIFO fields. */
  encode(events: readonly SluiceEvent[]): OutgoingMessage[] {
    const fifo = isFifoQueue(this.config.queueUrl);
    const prefix = `${Date.now().toString(36).padStart(9, '0')}.${this.instance}.`;
    return events.map((event) => {
      const message: OutgoingMessage = encodeEvent(event, { headerAttributes: true, extra: { [SEQUENCE_ATTRIBUTE]: prefix + (this.counter++).toString(36).padStart(8, '0') } });
      if (fifo) {
        message.groupId = this.groupTemplate.render(event) || 'default';
        // Unique per put: the SDK's own retries of a request dedupe, distinct puts never do.
        message.deduplicationId = randomUUID();
      }
      return message;
    });
  }

  /** @internal Sends a put commit; all or, on failure, an error (some may be stored: at least once). */
  async send(events: readonly SluiceEvent[]): Promise<void> {
    const queue = this.running && this.queue;
    if (!queue) throw new SluiceError('SLUICE_CHANNEL_CLOSED', `sqs channel '${this.name}' is not running`);
    const messages = this.encode(events);
    const tooBig = messages.findIndex((m) => m.size > queue.messageLimit);
    if (tooBig >= 0) {
      throw new SluiceError('SLUICE_EVENT_REJECTED', `sqs channel '${this.name}': an event encodes to ${messages[tooBig]!.size} bytes, over the queue's MaximumMessageSize of ${queue.messageLimit}; nothing of this commit was sent. Raise the queue's MaximumMessageSize (up to 1 MiB) or split such events`);
    }
    try {
      const refused = await queue.send(messages, this.config.sendConcurrency, 'SLUICE_CHANNEL_UNAVAILABLE');
      if (refused.length > 0) {
        throw new SluiceError('SLUICE_EVENT_REJECTED', `sqs channel '${this.name}': SQS refused ${refused.length} of ${events.length} events (${refused[0]!.reason}); the others were stored`);
      }
    } catch (error) {
      this.ctx.telemetry.emit('component.error', this.name, events.length, batchBytes(events), error);
      throw error;
    }
    this.depth += events.length;
    this.notifyReadable();
  }

  /** @internal Receives up to `max` messages: one long poll, then more receives while answers come back full. */
  async receive(max: number): Promise<Taken[]> {
    const queue = this.queue!;
    const got: Message[] = [];
    const first = await queue.receive(Math.min(10, max), this.pollSeconds, this.visibilitySeconds);
    for (const m of first) got.push(m);
    let full = first.length === Math.min(10, max);
    while (full && got.length < max && this.running) {
      const lanes = Math.min(this.config.receiveConcurrency, Math.ceil((max - got.length) / 10));
      const wanted = Array.from({ length: lanes }, (_, i) => Math.min(10, max - got.length - i * 10));
      const answers = await Promise.all(wanted.map((n) => queue.receive(n, 0, this.visibilitySeconds).catch(() => [] as Message[])));
      full = answers.every((a, i) => a.length === wanted[i]);
      for (const answer of answers) for (const m of answer) got.push(m);
    }
    const taken = got.map((m) => ({ receiptHandle: m.ReceiptHandle!, event: decodeMessage(m), seq: m.MessageAttributes?.[SEQUENCE_ATTRIBUTE]?.StringValue ?? '' }));
    taken.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
    if (taken.length > 0) this.keeper!.hold(taken);
    return taken;
  }

  /** @internal Deletes committed takes; a failure only means they come back (logged, counted). */
  async finish(taken: Taken[]): Promise<void> {
    const queue = this.queue;
    // Stopped meanwhile: the stop released these messages, so they will be taken again.
    if (!queue) throw new SluiceError('SLUICE_CHANNEL_CLOSED', `sqs channel '${this.name}' stopped before the commit; its taken messages were released and will be delivered again`);
    await queue.delete(taken);
    this.keeper?.forget(taken);
    this.depth = Math.max(0, this.depth - taken.length);
  }

  /** @internal Makes rolled-back takes visible again at once. */
  async release(taken: Taken[]): Promise<void> {
    this.ctx.metrics.inc('RollbackCount');
    this.keeper?.forget(taken);
    await this.queue?.changeVisibility(taken, 0);
    this.notifyReadable();
  }
}

class SqsTransaction extends BaseTransaction {
  private puts: SluiceEvent[] = [];
  private takes: Taken[] = [];

  constructor(private readonly channel: SqsChannel) {
    super(channel.metrics);
  }

  protected _put(events: readonly SluiceEvent[]): void {
    const limit = this.channel.config.transactionCapacity;
    if (this.puts.length + events.length > limit) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `sqs channel '${this.channel.name}': a transaction of ${this.puts.length + events.length} puts exceeds transactionCapacity ${limit}; lower the source's batchSize or raise transactionCapacity`);
    }
    for (let i = 0; i < events.length; i++) this.puts.push(events[i]!);
  }

  protected async _take(max: number): Promise<SluiceEvent[]> {
    const channel = this.channel;
    const room = channel.config.transactionCapacity - this.takes.length;
    if (room <= 0) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `sqs channel '${channel.name}': a transaction cannot take more than transactionCapacity ${channel.config.transactionCapacity} events`);
    }
    let taken: Taken[];
    try {
      taken = await channel.receive(Math.min(max, room));
    } catch (error) {
      throw new SluiceError('SLUICE_CHANNEL_UNAVAILABLE', `sqs channel '${channel.name}': ReceiveMessage from ${channel.config.queueUrl} failed: ${(error as Error).message}`, { cause: error });
    }
    for (const t of taken) this.takes.push(t);
    return taken.map((t) => t.event);
  }

  protected async _commit(): Promise<void> {
    if (this.puts.length > 0) {
      await this.channel.send(this.puts);
      this.puts = [];
    }
    if (this.takes.length > 0) {
      const takes = this.takes;
      this.takes = [];
      await this.channel.finish(takes);
    }
  }

  protected async _rollback(): Promise<void> {
    this.puts = [];
    if (this.takes.length === 0) return;
    const takes = this.takes;
    this.takes = [];
    await this.channel.release(takes);
  }
}

export const sqsChannel = defineComponent<'channel', SqsChannelConfig>({
  kind: 'channel',
  type: 'sqs',
  description: 'An Amazon SQS queue as the channel: durable, managed, shared by every agent that names it (put sends, take receives, commit deletes).',
  guarantee: 'At least once. A put commit resolves after SQS stored every message; a take is deleted from the queue only when its transaction commits, and a rollback makes it visible again at once. After a crash, taken and uncommitted messages reappear when their visibility timeout ends, so events can repeat but are not lost. Order is kept within a take; beyond it best effort on standard queues, per message group on FIFO queues.',
  capabilities: { durable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...QUEUE_SCHEMA_PROPERTIES,
      transactionCapacity: { type: 'integer', minimum: 1, default: 10000, description: 'Maximum events one transaction may put or take.' },
      pollTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '1s', description: 'How long a take waits for messages on an empty queue (long polling, whole seconds up to 20s; 0 asks once, which on a standard queue may miss messages).' },
      visibilityTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long taken messages stay hidden from other agents; extended while their transaction is open, so it only decides how soon messages of a crashed agent reappear.' },
      receiveConcurrency: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'ReceiveMessage calls in flight at once for a take of more than 10 events.' },
      sendConcurrency: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'SendMessageBatch calls in flight at once for a put commit (1 on FIFO queues).' },
      messageGroupId: { type: 'string', maxLength: 128, default: '%{sqs.messageGroupId}', description: 'FIFO queues: the MessageGroupId of a put, literal text with %{header} references; an empty result uses the group `default`. Each group is taken in order by one agent at a time: use several groups to let several agents drain in parallel.' },
      depthInterval: { type: 'string', pattern: DURATION_PATTERN, default: '10s', description: 'How often ChannelSize is refreshed from the queue\'s approximate message counts (one GetQueueAttributes call).' },
    },
    required: [...QUEUE_REQUIRED, 'transactionCapacity', 'pollTimeout', 'visibilityTimeout', 'receiveConcurrency', 'sendConcurrency', 'messageGroupId', 'depthInterval'],
  } as never,
  check: (config) => queueProblems(config),
  create: (config, ctx) => new SqsChannel(config, ctx),
});
