import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, PartitionerArgs, Producer } from 'kafkajs';
import {
  BaseChannel, BaseTransaction, DURATION_PATTERN, EventQueue, SluiceError, batchBytes, decodeAvroFlumeEvent, defineComponent,
  encodeAvroFlumeEvent, parseDuration, WaitList, type ComponentContext, type SluiceEvent,
} from '@sluice/core';
import {
  CONNECTION_REQUIRED, CONNECTION_SCHEMA_PROPERTIES, connectionFromFlume, createKafkaClient, warnJavaClientKey, type KafkaConnectionConfig,
} from './connection.js';
import { PartitionOffsets } from './partition-offsets.js';
import { headersFromRecord, headersToRecord } from './record-headers.js';
import { rejectionOf } from './record-rejection.js';

/** Config of the `kafka` channel. */
export interface KafkaChannelConfig extends KafkaConnectionConfig {
  topic: string;
  groupId: string;
  parseAsFlumeEvent: boolean;
  autoOffsetReset: 'earliest' | 'latest';
  transactionCapacity: number;
  prefetch: number;
  pollTimeout: string;
  fetchMaxWait: string;
  sessionTimeout: string;
  heartbeatInterval: string;
  idempotent: boolean;
  startTimeout: string;
}

/** One record fetched into the channel's read-ahead buffer. */
interface Fetched {
  event: SluiceEvent;
  partition: number;
  offset: number;
  /** The consumer-group generation it was fetched in; older ones are never committed. */
  generation: number;
}

/**
 * A channel whose storage is a Kafka topic, as in Flume's KafkaChannel. A put transaction's commit
 * produces its events (acks from all in-sync replicas, idempotent producer by default) and resolves
 * once Kafka acknowledged them. Takes read through a consumer group: records are fetched ahead into
 * a bounded buffer, and a record's offset is committed to Kafka only after the transaction that took
 * it committed and every earlier record of its partition is finished too. A rollback returns its
 * events to the head of the buffer, which is what re-reading from the last committed offset would
 * yield, without the round trip. After a crash or a group rebalance, the consumer resumes from the
 * last committed offset: at least once, never lost.
 *
 * Kafka holds the capacity, so `capacity` is 0 and `ChannelSize`/`ChannelFillPercentage` report the
 * consumer lag in events (records this group has not committed yet).
 */
export class KafkaChannel extends BaseChannel {
  readonly config: KafkaChannelConfig;
  /** @internal Records read ahead and not taken, oldest first (KafkaTransaction takes from it). */
  readonly buffer = new EventQueue<Fetched>();
  /** @internal Offset bookkeeping of the partitions assigned to this member. */
  readonly partitions = new Map<number, PartitionOffsets>();
  /** @internal Bumped on every group (re)join; records of older generations are never committed. */
  generation = 0;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private readonly pollTimeoutMs: number;
  private readonly recordWaiters = new WaitList();
  private spaceWaiters: (() => void)[] = [];
  private commitChain: Promise<void> = Promise.resolve();
  private stopping = false;
  private commitCounter = 0;

  constructor(config: KafkaChannelConfig, ctx: ComponentContext) {
    super(ctx);
    this.config = config;
    this.kafka = createKafkaClient(config, ctx);
    this.pollTimeoutMs = parseDuration(config.pollTimeout);
    ctx.metrics.gauge('ChannelFillPercentage', () => this.size);
    for (const counter of ['KafkaEventGetTimer', 'KafkaEventSendTimer', 'KafkaCommitTimer', 'KafkaEmptyCount', 'RollbackCount']) ctx.metrics.inc(counter, 0);
  }

  /** Consumer lag in events: records of the assigned partitions not yet committed by this group. */
  get size(): number {
    let lag = 0;
    for (const offsets of this.partitions.values()) lag += offsets.lag();
    return lag;
  }

  get capacity(): number {
    return 0;
  }

  private get producerClient(): Producer {
    if (!this.producer) throw new SluiceError('SLUICE_CHANNEL_CLOSED', `Kafka channel '${this.name}' is not running`);
    return this.producer;
  }

  protected override async _start(): Promise<void> {
    const { config } = this;
    this.stopping = false;
    const consumer = this.kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: parseDuration(config.sessionTimeout),
      heartbeatInterval: parseDuration(config.heartbeatInterval),
      maxWaitTimeInMs: parseDuration(config.fetchMaxWait),
      allowAutoTopicCreation: true,
    });
    this.consumer = consumer;
    let joined!: () => void;
    const firstJoin = new Promise<void>((resolve) => { joined = resolve; });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.onGroupJoin(event.payload.memberAssignment[config.topic] ?? []);
      joined();
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
      if (restart) this.ctx.logger.warn({ err: error }, 'kafka channel consumer failed; it reconnects and rejoins by itself');
      else this.ctx.logger.error({ err: error, code: 'SLUICE_COMPONENT_START' }, 'kafka channel consumer failed and does not restart; restart the agent after fixing the cause');
    });
    try {
      this.producer = await this.connectProducer();
      await consumer.connect();
      await consumer.subscribe({ topics: [config.topic], fromBeginning: config.autoOffsetReset === 'earliest' });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: (payload) => this.onBatch(payload),
      });
    } catch (error) {
      await this.disconnect();
      throw new SluiceError('SLUICE_COMPONENT_START', `Kafka channel '${this.name}' cannot reach brokers ${config.brokers.join(',')} (topic '${config.topic}'): ${(error as Error).message}; check brokers, ssl and sasl`, { cause: error });
    }
    const timeoutMs = parseDuration(config.startTimeout);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      firstJoin.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (timedOut) this.ctx.logger.warn({ groupId: config.groupId, topic: config.topic }, `kafka channel has not joined its consumer group after ${config.startTimeout}; takes stay empty until it does`);
    this.ctx.logger.info({ topic: config.topic, groupId: config.groupId, parseAsFlumeEvent: config.parseAsFlumeEvent }, 'kafka channel started');
  }

  /**
   * Connects the idempotent producer where the cluster allows it, else (no IdempotentWrite
   * permission, no controller, old broker) a plain one with acks from all replicas, and says so.
   */
  private async connectProducer(): Promise<Producer> {
    if (this.config.idempotent) {
      const idempotent = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true, createPartitioner: this.partitioner });
      try {
        await idempotent.connect();
        return idempotent;
      } catch (error) {
        await idempotent.disconnect().catch(() => undefined);
        const plain = this.kafka.producer({ allowAutoTopicCreation: true, createPartitioner: this.partitioner });
        await plain.connect();
        this.ctx.logger.warn({ err: error }, 'kafka channel: the cluster refused an idempotent producer; using a plain one (a retried produce may duplicate events)');
        return plain;
      }
    }
    const plain = this.kafka.producer({ allowAutoTopicCreation: true, createPartitioner: this.partitioner });
    await plain.connect();
    return plain;
  }

  /**
   * Sends all records of one put commit to one partition, moving to the next partition with each
   * commit: a transaction's events stay together and in order, and each produce request carries a
   * single record batch instead of one per partition.
   */
  private readonly partitioner = () => ({ partitionMetadata }: PartitionerArgs): number => {
    const withLeader = partitionMetadata.filter((p) => p.leader >= 0);
    const choices = withLeader.length > 0 ? withLeader : partitionMetadata;
    return choices[this.commitCounter % choices.length]!.partitionId;
  };

  protected override async _stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.commitChain;
    await this.disconnect();
    this.buffer.clear();
    this.partitions.clear();
  }

  private async disconnect(): Promise<void> {
    const { consumer, producer } = this;
    this.consumer = undefined;
    this.producer = undefined;
    await consumer?.disconnect().catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'kafka channel consumer did not disconnect cleanly'));
    await producer?.disconnect().catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'kafka channel producer did not disconnect cleanly'));
  }

  protected _transaction(): BaseTransaction {
    return new KafkaTransaction(this);
  }

  /** A (re)join resumes every partition from its committed offset: drop what was read ahead. */
  private onGroupJoin(assigned: number[]): void {
    this.generation++;
    this.buffer.clear();
    this.partitions.clear();
    for (const partition of assigned) this.partitions.set(partition, new PartitionOffsets());
    this.ctx.logger.info({ partitions: assigned, generation: this.generation }, 'kafka channel joined its consumer group');
    this.wake();
  }

  private async onBatch({ batch, isRunning, heartbeat }: EachBatchPayload): Promise<void> {
    const generation = this.generation;
    let offsets = this.partitions.get(batch.partition);
    if (!offsets) {
      offsets = new PartitionOffsets();
      this.partitions.set(batch.partition, offsets);
    }
    offsets.highWatermark = Number(batch.highWatermark);
    const fetched: Fetched[] = [];
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      offsets.fetched(offset);
      const event = this.decode(message, batch.partition);
      if (event === undefined) offsets.finish(offset);
      else fetched.push({ event, partition: batch.partition, offset, generation });
    }
    if (fetched.length > 0) {
      this.buffer.pushAll(fetched);
      this.wakeTakers();
      this.notifyReadable();
    }
    // Holding the batch while the read-ahead buffer is full pauses fetching (backpressure).
    while (this.buffer.length >= this.config.prefetch && isRunning() && !this.stopping && generation === this.generation) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 1000);
        this.spaceWaiters.push(done);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
      });
      if (isRunning() && !this.stopping) await heartbeat();
    }
  }

  private decode(message: KafkaMessage, partition: number): SluiceEvent | undefined {
    const value = message.value;
    if (!this.config.parseAsFlumeEvent) {
      return { headers: headersFromRecord(message.headers, {}), body: value ?? Buffer.alloc(0) };
    }
    try {
      if (value === null) throw new Error('the record has no value');
      return decodeAvroFlumeEvent(value);
    } catch (error) {
      this.ctx.metrics.inc('EventTakeErrorCount');
      this.ctx.telemetry.emit('component.error', this.name, 1, value?.length ?? 0, error);
      this.ctx.logger.warn({ code: 'SLUICE_DATA_CORRUPT', topic: this.config.topic, partition, offset: message.offset, err: error },
        'kafka channel skipped a record that is not an Avro AvroFlumeEvent; set parseAsFlumeEvent: false if the topic holds raw bodies');
      return undefined;
    }
  }

  /** Resolves when records may be in the buffer, after `ms`, or on stop. */
  waitForRecords(ms: number): Promise<void> {
    if (this.buffer.length > 0 || this.stopping) return Promise.resolve();
    return this.recordWaiters.wait(ms);
  }

  private wakeTakers(): void {
    this.recordWaiters.wakeAll();
  }

  /** Called after takes drained the buffer below `prefetch`. */
  wakeFetcher(): void {
    if (this.spaceWaiters.length === 0 || this.buffer.length >= this.config.prefetch) return;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const wake of waiters) wake();
  }

  private wake(): void {
    this.wakeTakers();
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Returns rolled-back records to the head of the buffer (records of an older group generation are dropped: they will be fetched again). */
  returnToHead(records: Fetched[]): void {
    const current = records.filter((r) => r.generation === this.generation);
    if (current.length === 0) return;
    this.buffer.unshiftAll(current);
    this.wakeTakers();
    this.notifyReadable();
  }

  /**
   * Marks taken records finished and commits the advanced offsets. Commits are serialised so a
   * slower, older commit never moves an offset backwards. A failed offset commit is logged, not
   * thrown: the events were delivered, and the next commit carries the offset forward (a crash
   * before then re-delivers them, which at-least-once allows).
   */
  finishTaken(records: Fetched[]): Promise<void> {
    let touched = false;
    for (const record of records) {
      if (record.generation !== this.generation) continue;
      const offsets = this.partitions.get(record.partition);
      if (!offsets) continue;
      offsets.finish(record.offset);
      touched = true;
    }
    if (!touched) return this.commitChain;
    this.commitChain = this.commitChain.then(() => this.commitOffsets());
    return this.commitChain;
  }

  private async commitOffsets(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const generation = this.generation;
    const pending: { partition: number; offset: number; offsets: PartitionOffsets }[] = [];
    for (const [partition, offsets] of this.partitions) {
      const point = offsets.commitPoint();
      if (point > offsets.committed) pending.push({ partition, offset: point, offsets });
    }
    if (pending.length === 0) return;
    const started = Date.now();
    try {
      await consumer.commitOffsets(pending.map(({ partition, offset }) => ({ topic: this.config.topic, partition, offset: String(offset) })));
      if (generation === this.generation) for (const p of pending) p.offsets.committed = Math.max(p.offsets.committed, p.offset);
    } catch (error) {
      this.ctx.logger.warn({ err: error, topic: this.config.topic }, 'kafka channel could not commit consumer offsets; the next commit retries (events may be re-delivered after a crash)');
    } finally {
      this.ctx.metrics.inc('KafkaCommitTimer', Date.now() - started);
    }
  }

  /** Produces a put transaction's events; resolves once Kafka acknowledged all of them. */
  async produce(events: readonly SluiceEvent[]): Promise<void> {
    const messages = new Array<Message>(events.length);
    if (this.config.parseAsFlumeEvent) {
      for (let i = 0; i < events.length; i++) messages[i] = { value: encodeAvroFlumeEvent(events[i]!) };
    } else {
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        const headers = headersToRecord(event.headers);
        messages[i] = headers === undefined ? { value: event.body } : { value: event.body, headers };
      }
    }
    this.commitCounter++;
    const started = Date.now();
    try {
      await this.producerClient.send({ topic: this.config.topic, messages, acks: -1 });
    } catch (error) {
      this.ctx.telemetry.emit('component.error', this.name, events.length, batchBytes(events), error);
      if (error instanceof SluiceError) throw error;
      const rejected = rejectionOf(error);
      if (rejected !== undefined) {
        throw new SluiceError('SLUICE_EVENT_REJECTED', `Kafka channel '${this.name}': topic '${this.config.topic}' refused ${events.length} events (${rejected}); retrying cannot help, check the topic's max.message.bytes against the event sizes`, { cause: error });
      }
      throw new SluiceError('SLUICE_CHANNEL_UNAVAILABLE', `Kafka channel '${this.name}': topic '${this.config.topic}' did not acknowledge ${events.length} events: ${(error as Error).message}`, { cause: error });
    } finally {
      this.ctx.metrics.inc('KafkaEventSendTimer', Date.now() - started);
    }
  }

  get pollTimeout(): number {
    return this.pollTimeoutMs;
  }
}

class KafkaTransaction extends BaseTransaction {
  private puts: SluiceEvent[] = [];
  private takes: Fetched[] = [];

  constructor(private readonly channel: KafkaChannel) {
    super(channel.metrics);
  }

  protected _put(events: readonly SluiceEvent[]): void {
    const limit = this.channel.config.transactionCapacity;
    if (this.puts.length + events.length > limit) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `Kafka channel '${this.channel.name}': a transaction of ${this.puts.length + events.length} puts exceeds transactionCapacity ${limit}; lower the source's batchSize or raise transactionCapacity`);
    }
    for (let i = 0; i < events.length; i++) this.puts.push(events[i]!);
  }

  protected async _take(max: number): Promise<SluiceEvent[]> {
    const channel = this.channel;
    const room = channel.config.transactionCapacity - this.takes.length;
    if (room <= 0) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `Kafka channel '${channel.name}': a transaction cannot take more than transactionCapacity ${channel.config.transactionCapacity} events`);
    }
    const started = Date.now();
    if (channel.buffer.length === 0) await channel.waitForRecords(channel.pollTimeout);
    const records = channel.buffer.shiftMany(Math.min(max, room));
    channel.metrics.inc('KafkaEventGetTimer', Date.now() - started);
    if (records.length === 0) {
      channel.metrics.inc('KafkaEmptyCount');
      return [];
    }
    channel.wakeFetcher();
    const events = new Array<SluiceEvent>(records.length);
    for (let i = 0; i < records.length; i++) {
      events[i] = records[i]!.event;
      this.takes.push(records[i]!);
    }
    return events;
  }

  protected async _commit(): Promise<void> {
    if (this.puts.length > 0) {
      await this.channel.produce(this.puts);
      this.puts = [];
    }
    if (this.takes.length > 0) {
      const takes = this.takes;
      this.takes = [];
      await this.channel.finishTaken(takes);
    }
  }

  protected _rollback(): void {
    this.puts = [];
    if (this.takes.length === 0) return;
    this.channel.metrics.inc('RollbackCount');
    this.channel.returnToHead(this.takes);
    this.takes = [];
  }
}

export const kafkaChannel = defineComponent<'channel', KafkaChannelConfig>({
  kind: 'channel',
  type: 'kafka',
  description: 'A Kafka topic as the channel (Flume KafkaChannel): durable and replicated, no agent-local buffer.',
  guarantee: 'At least once. A put commit resolves only after every in-sync replica acknowledged the events; a take\'s offsets are committed to Kafka only after its transaction committed. After a crash or rebalance, consumption resumes at the last committed offset, so events can repeat but are not lost.',
  capabilities: { durable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...CONNECTION_SCHEMA_PROPERTIES,
      topic: { type: 'string', minLength: 1, default: 'flume-channel', description: 'The topic that is the channel (Flume: kafka.topic).' },
      groupId: { type: 'string', minLength: 1, default: 'flume', description: 'Consumer group of the takers (Flume: kafka.consumer.group.id). Agents sharing a channel topic share the group.' },
      parseAsFlumeEvent: { type: 'boolean', default: true, description: 'Store each event as an Avro binary AvroFlumeEvent (headers and body), byte-compatible with Flume\'s Kafka channel; false stores the body as the record value and the headers as Kafka record headers.' },
      autoOffsetReset: { type: 'string', enum: ['earliest', 'latest'], default: 'earliest', description: 'Where a group without committed offsets starts. earliest (unlike Flume\'s latest) keeps events put before the first take.' },
      transactionCapacity: { type: 'integer', minimum: 1, default: 10000, description: 'Maximum events one transaction may put or take.' },
      prefetch: { type: 'integer', minimum: 1, default: 10000, description: 'Records read ahead into memory; fetching pauses while this many wait to be taken.' },
      pollTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '500ms', description: 'How long a take waits for records when none are read ahead (Flume: pollTimeout).' },
      fetchMaxWait: { type: 'string', pattern: DURATION_PATTERN, default: '100ms', description: 'How long the broker may hold a fetch that has no data (consumer maxWaitTimeInMs).' },
      sessionTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'Consumer group session timeout: how long the group waits for a silent member before rebalancing.' },
      heartbeatInterval: { type: 'string', pattern: DURATION_PATTERN, default: '3s', description: 'Consumer group heartbeat interval (well below sessionTimeout).' },
      idempotent: { type: 'boolean', default: true, description: 'Use the idempotent producer so a retried produce does not duplicate records; turn off for brokers or ACLs that do not allow it (IdempotentWrite).' },
      startTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long start waits for the first consumer-group join before it goes on (takes stay empty until the join).' },
    },
    required: [...CONNECTION_REQUIRED, 'topic', 'groupId', 'parseAsFlumeEvent', 'autoOffsetReset', 'transactionCapacity', 'prefetch', 'pollTimeout', 'fetchMaxWait', 'sessionTimeout', 'heartbeatInterval', 'idempotent', 'startTimeout'],
  } as never,
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    const used = connectionFromFlume(properties, config, flume);
    for (const [key, value] of Object.entries(properties)) {
      if (used.has(key)) continue;
      if (key === 'capacity' || key === 'transactionCapacity') {
        flume?.warn(key, 'is not read by Flume\'s Kafka channel (the topic holds the events), so Flume ignores it; Sluice does too');
        continue;
      }
      if (key === 'defaultPartitionId' || key === 'partitionIdHeader') {
        flume?.warn(key, 'chooses the partition of each record in Flume\'s Kafka channel; Sluice\'s kafka channel spreads records over the partitions and ignores it');
        continue;
      }
      if (key === 'kafka.consumer.fetch.max.wait.ms' || key === 'kafka.consumer.auto.offset.reset' || key === 'kafka.consumer.session.timeout.ms' || key === 'kafka.consumer.heartbeat.interval.ms' || key === 'kafka.consumer.group.id' || key === 'kafka.producer.enable.idempotence') { /* mapped below */ } else if (warnJavaClientKey(key, flume)) continue;
      if (key === 'kafka.topic' || key === 'topic') config.topic = value;
      else if (key === 'kafka.consumer.group.id' || key === 'groupId') config.groupId = value;
      else if (key === 'parseAsFlumeEvent') config.parseAsFlumeEvent = value;
      else if (key === 'pollTimeout') config.pollTimeout = `${value}ms`;
      else if (key === 'kafka.consumer.auto.offset.reset') config.autoOffsetReset = value;
      else if (key === 'kafka.consumer.session.timeout.ms') config.sessionTimeout = `${value}ms`;
      else if (key === 'kafka.consumer.heartbeat.interval.ms') config.heartbeatInterval = `${value}ms`;
      else if (key === 'kafka.consumer.fetch.max.wait.ms') config.fetchMaxWait = `${value}ms`;
      else if (key === 'kafka.producer.enable.idempotence') config.idempotent = value;
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new KafkaChannel(config, ctx),
});
