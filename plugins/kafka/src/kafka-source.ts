import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import {
  Backoff, DURATION_PATTERN, SluiceError, batchBytes, createHeaders, decodeAvroFlumeEvent, defineComponent, errorCode, parseDuration, regexError, throwConfigProblems,
  type EventDrivenSource, type Problem, type SluiceEvent, type SourceContext,
} from '@sluice/core';
import {
  CONNECTION_REQUIRED, CONNECTION_SCHEMA_PROPERTIES, connectionFromFlume, createKafkaClient, warnJavaClientKey, type KafkaConnectionConfig,
} from './connection.js';
import { headersFromRecord } from './record-headers.js';

/** Config of the `kafka` source. */
export interface KafkaSourceConfig extends KafkaConnectionConfig {
  topics: string[];
  topicPattern: string;
  groupId: string;
  batchSize: number;
  autoOffsetReset: 'earliest' | 'latest';
  recordHeaders: boolean;
  useFlumeEventFormat: boolean;
  fetchMaxWait: string;
  sessionTimeout: string;
  heartbeatInterval: string;
  maxBackoff: string;
  startTimeout: string;
}

/**
 * Consumes topics (a list, or a pattern matched against the topics that exist at start) in a
 * consumer group and delivers the records in batches. An event gets the headers `topic`,
 * `partition`, `offset`, `key` (when the record has one) and `timestamp`, after the record's own
 * Kafka headers. A batch's offsets are committed only after `deliver` resolved, that is after
 * every required channel committed it. When a channel refuses a batch (full, unavailable) the
 * partition is paused and resumed after a growing delay, and its batches shrink by half per refusal
 * (growing back after successes) so a batch bigger than the channel gets through; consumption
 * restarts at the first event not delivered, so nothing is dropped.
 */
export class KafkaSource implements EventDrivenSource {
  readonly name: string;
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private readonly backoffs = new Map<string, Backoff>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Per partition: the batch size after refusals (halved on each refusal, doubled back on success). */
  private readonly chunkSizes = new Map<string, number>();
  private readonly maxBackoffMs: number;
  private running = false;

  constructor(private readonly config: KafkaSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    throwConfigProblems(kafkaSourceProblems(config), `Kafka source '${ctx.name}'`);
    this.kafka = createKafkaClient(config, ctx);
    this.maxBackoffMs = parseDuration(config.maxBackoff);
    ctx.metrics.inc('KafkaCommitTimer', 0);
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { config } = this;
    const consumer = this.kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: parseDuration(config.sessionTimeout),
      heartbeatInterval: parseDuration(config.heartbeatInterval),
      maxWaitTimeInMs: parseDuration(config.fetchMaxWait),
    });
    this.consumer = consumer;
    let joined!: () => void;
    const firstJoin = new Promise<void>((resolve) => { joined = resolve; });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.ctx.logger.info({ assignment: event.payload.memberAssignment }, 'kafka source joined its consumer group');
      joined();
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
      if (restart) this.ctx.logger.warn({ err: error }, 'kafka source consumer failed; it reconnects and rejoins by itself');
      else this.ctx.logger.error({ err: error, code: 'SLUICE_COMPONENT_START' }, 'kafka source consumer failed and does not restart; restart the agent after fixing the cause');
    });
    const topics: (string | RegExp)[] = config.topicPattern === '' ? [...config.topics] : [new RegExp(config.topicPattern)];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: config.autoOffsetReset === 'earliest' });
      await consumer.run({
        autoCommit: true,
        autoCommitThreshold: 1,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.onBatch(payload),
      });
    } catch (error) {
      this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw new SluiceError('SLUICE_COMPONENT_START', `Kafka source '${this.name}' cannot consume ${topics.join(', ')} from ${config.brokers.join(',')}: ${(error as Error).message}; check brokers, topics, ssl and sasl`, { cause: error });
    }
    this.running = true;
    this.ctx.metrics.startTime = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      firstJoin.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), parseDuration(config.startTimeout)); }),
    ]);
    clearTimeout(timer);
    if (timedOut) this.ctx.logger.warn({ groupId: config.groupId }, `kafka source has not joined its consumer group after ${config.startTimeout}; it keeps trying`);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'kafka source consumer did not disconnect cleanly'));
    this.ctx.metrics.stopTime = Date.now();
  }

  private async onBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    const key = `${topic}/${partition}`;
    for (let i = 0; i < messages.length;) {
      if (!isRunning() || isStale() || !this.running) return;
      const size = this.chunkSizes.get(key) ?? this.config.batchSize;
      const chunk = messages.slice(i, i + size);
      const events = new Array<SluiceEvent>(chunk.length);
      for (let j = 0; j < chunk.length; j++) events[j] = this.toEvent(topic, partition, chunk[j]!);
      try {
        await this.ctx.deliver(events);
      } catch (error) {
        this.ctx.telemetry.emit('component.error', this.name, chunk.length, batchBytes(events), error);
        // A batch larger than the channel can ever hold must shrink to get through.
        this.chunkSizes.set(key, Math.max(1, chunk.length >> 1));
        this.pauseAfterRefusal(topic, partition, pause, error);
        return;
      }
      i += chunk.length;
      this.backoffs.get(key)?.reset();
      if (size < this.config.batchSize) this.chunkSizes.set(key, Math.min(this.config.batchSize, size * 2));
      resolveOffset(chunk[chunk.length - 1]!.offset);
      const committing = Date.now();
      try {
        await commitOffsetsIfNecessary();
        this.ctx.metrics.inc('KafkaCommitTimer', Date.now() - committing);
      } catch (error) {
        this.ctx.logger.warn({ err: error, topic, partition }, 'kafka source could not commit offsets yet; they are committed with the next batch (a crash before then re-delivers the batch)');
      }
      await heartbeat();
    }
  }

  /** Pauses the partition; the consumer re-reads it from the first undelivered record after a growing delay. */
  private pauseAfterRefusal(topic: string, partition: number, pause: () => () => void, error: unknown): void {
    const key = `${topic}/${partition}`;
    let backoff = this.backoffs.get(key);
    if (!backoff) {
      backoff = new Backoff(Math.min(100, this.maxBackoffMs), this.maxBackoffMs);
      this.backoffs.set(key, backoff);
    }
    const delay = backoff.next();
    const full = errorCode(error) === 'SLUICE_CHANNEL_FULL';
    this.ctx.logger[full || backoff.failures < 3 ? 'debug' : 'warn']({ err: error, code: errorCode(error), topic, partition, retryInMs: delay },
      'kafka source: a channel refused the batch; partition paused');
    const resume = pause();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.running) resume();
    }, delay);
    this.timers.add(timer);
  }

  private toEvent(topic: string, partition: number, message: KafkaMessage): SluiceEvent {
    // A header map: a record header named __proto__ is a header like any other.
    let headers = this.config.recordHeaders ? headersFromRecord(message.headers, createHeaders()) : createHeaders();
    let body = message.value ?? Buffer.alloc(0);
    if (this.config.useFlumeEventFormat) {
      try {
        const event = decodeAvroFlumeEvent(body);
        headers = Object.assign(headers, event.headers);
        body = event.body;
      } catch (error) {
        // Not an AvroFlumeEvent: deliver the raw value rather than drop it, and say so.
        headers['sluice.decode.error'] = 'not an AvroFlumeEvent';
        this.ctx.metrics.inc('EventReadFail');
        this.ctx.telemetry.emit('component.error', this.name, 1, body.length, error);
      }
    }
    headers.topic = topic;
    headers.partition = String(partition);
    headers.offset = message.offset;
    if (message.key !== null && message.key !== undefined) headers.key = message.key.toString('utf8');
    headers.timestamp = message.timestamp;
    return { headers, body };
  }
}

/**
 * What the constructor would refuse in a kafka source config (the `check` of the definition):
 * nothing to consume, or a topicPattern that is not a regular expression. Pure: whether the
 * topics exist is only known at start.
 */
export function kafkaSourceProblems(config: KafkaSourceConfig): Problem[] {
  if (config.topicPattern !== '') {
    const message = regexError(config.topicPattern, '', 'topicPattern');
    return message === undefined ? [] : [{ path: '/topicPattern', message }];
  }
  if (config.topics.length === 0) return [{ path: '/topics', message: 'neither topics nor topicPattern is set; set one of them' }];
  return [];
}

export const kafkaSource = defineComponent<'source', KafkaSourceConfig>({
  kind: 'source',
  type: 'kafka',
  description: 'Consumes Kafka topics in a consumer group; record metadata and headers become event headers.',
  guarantee: 'At least once: offsets are committed only after the batch was committed to every required channel. A full channel pauses the partition instead of dropping; after a crash or rebalance consumption resumes at the last committed offset, so events can repeat.',
  // Every worker process can run it (a listening socket the workers share, or a consumer group).
  capabilities: { shardable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...CONNECTION_SCHEMA_PROPERTIES,
      topics: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Topics to consume (Flume: kafka.topics). Set this or topicPattern.' },
      topicPattern: { type: 'string', default: '', description: 'JavaScript regular expression of topics to consume, matched against the topics that exist at start (Flume: kafka.topics.regex); overrides topics.' },
      groupId: { type: 'string', minLength: 1, default: 'flume', description: 'Consumer group (Flume: kafka.consumer.group.id); sources sharing it split the partitions.' },
      batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Maximum events delivered to the channels in one batch.' },
      autoOffsetReset: { type: 'string', enum: ['earliest', 'latest'], default: 'latest', description: 'Where a group without committed offsets starts (Flume: kafka.consumer.auto.offset.reset).' },
      recordHeaders: { type: 'boolean', default: true, description: 'Copy the Kafka record headers into event headers (before topic, partition, offset, key and timestamp, which win).' },
      useFlumeEventFormat: { type: 'boolean', default: false, description: 'Read each record value as an Avro binary AvroFlumeEvent (as written by Flume\'s Kafka sink with useFlumeEventFormat, or a Kafka channel topic) and use its headers and body; a value that does not decode is delivered raw with the header sluice.decode.error.' },
      fetchMaxWait: { type: 'string', pattern: DURATION_PATTERN, default: '500ms', description: 'How long the broker may hold a fetch that has no data (consumer maxWaitTimeInMs); bounds the latency when the topic is quiet.' },
      sessionTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'Consumer group session timeout.' },
      heartbeatInterval: { type: 'string', pattern: DURATION_PATTERN, default: '3s', description: 'Consumer group heartbeat interval (well below sessionTimeout).' },
      maxBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'Longest pause of a partition after a channel refused its batch; the pause starts at 100ms and doubles.' },
      startTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long start waits for the first consumer-group join before it goes on.' },
    },
    required: [...CONNECTION_REQUIRED, 'topics', 'topicPattern', 'groupId', 'batchSize', 'autoOffsetReset', 'recordHeaders', 'useFlumeEventFormat', 'fetchMaxWait', 'sessionTimeout', 'heartbeatInterval', 'maxBackoff', 'startTimeout'],
  } as never,
  check: kafkaSourceProblems,
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    const used = connectionFromFlume(properties, config, flume);
    for (const [key, value] of Object.entries(properties)) {
      if (used.has(key)) continue;
      if (key === 'kafka.topics') config.topics = value.split(/[\s,]+/).filter(Boolean);
      else if (key === 'topic') {
        if (properties['kafka.topics'] === undefined) config.topics = value.split(/[\s,]+/).filter(Boolean);
        flume?.warn(key, 'is the deprecated Flume 1.6 name of kafka.topics: Flume up to 1.9 honoured it, Flume 1.10+ ignores it; Sluice honours it', 'rename it to kafka.topics');
      } else if (key === 'kafka.topics.regex') config.topicPattern = value;
      else if (key === 'kafka.consumer.group.id') config.groupId = value;
      else if (key === 'groupId') {
        if (properties['kafka.consumer.group.id'] === undefined) config.groupId = value;
        flume?.warn(key, 'is the deprecated Flume 1.6 name of kafka.consumer.group.id: Flume up to 1.9 honoured it, Flume 1.10+ ignores it; Sluice honours it', 'rename it to kafka.consumer.group.id');
      } else if (key === 'batchDurationMillis') flume?.warn(key, 'bounds how long Flume\'s Java source fills a batch; Sluice hands each fetch over at once (up to batchSize) and ignores it');
      else if (key === 'migrateZookeeperOffsets' || key === 'kafka.consumer.timeout.ms') flume?.warn(key, 'belongs to the pre-0.9 ZooKeeper consumer; Sluice ignores it');
      else if (key === 'setTopicHeader' || key === 'topicHeader') flume?.warn(key, 'Sluice always sets the topic header (see docs/components.md, kafka source)');
      else if (key === 'batchSize') config.batchSize = value;
      else if (key === 'useFlumeEventFormat') config.useFlumeEventFormat = value;
      else if (key === 'kafka.consumer.auto.offset.reset') config.autoOffsetReset = value;
      else if (key === 'kafka.consumer.session.timeout.ms') config.sessionTimeout = `${value}ms`;
      else if (key === 'kafka.consumer.heartbeat.interval.ms') config.heartbeatInterval = `${value}ms`;
      else if (key === 'kafka.consumer.fetch.max.wait.ms') config.fetchMaxWait = `${value}ms`;
      else if (warnJavaClientKey(key, flume)) continue;
      else if (key.startsWith('header.')) flume?.warn(key, 'renames a Kafka record header in Flume\'s Kafka source; Sluice copies every record header to an event header of the same name and ignores it');
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new KafkaSource(config, ctx),
});
