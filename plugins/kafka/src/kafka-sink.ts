import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import {
  BatchSink, DURATION_PATTERN, SluiceError, defineComponent, encodeAvroFlumeEvent, parseDuration, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { loadCompressionCodec, type Compression } from './compression.js';
import {
  CONNECTION_REQUIRED, CONNECTION_SCHEMA_PROPERTIES, connectionFromFlume, createKafkaClient, warnJavaClientKey, type KafkaConnectionConfig,
} from './connection.js';
import { headersToRecord } from './record-headers.js';
import { rejectionOf } from './record-rejection.js';

/** Config of the `kafka` sink. */
export interface KafkaSinkConfig extends KafkaConnectionConfig {
  topic: string;
  topicHeader: string;
  keyHeader: string;
  partitionHeader: string;
  recordHeaders: boolean;
  useFlumeEventFormat: boolean;
  batchSize: number;
  acks: 'all' | 'leader' | 'none';
  compression: Compression;
  timeout: string;
}

const ACKS = { all: -1, leader: 1, none: 0 } as const;

const COMPRESSION_TYPES: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD,
};

/**
 * Produces each batch it takes to Kafka and lets the channel transaction commit only after Kafka
 * acknowledged every record of the batch (with `acks: all`, every in-sync replica). A failed or
 * timed-out produce rolls the batch back into the channel; the retry may duplicate records Kafka
 * had already stored, never lose them.
 *
 * The topic comes from the `topicHeader` header when present (Flume's allowTopicOverride), else
 * `topic`; the record key from the `keyHeader` header; event headers become Kafka record headers.
 */
export class KafkaSink extends BatchSink {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private readonly acks: number;
  private readonly timeoutMs: number;
  private connected = false;

  constructor(private readonly config: KafkaSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.kafka = createKafkaClient(config, ctx);
    this.acks = ACKS[config.acks];
    this.timeoutMs = parseDuration(config.timeout);
    ctx.metrics.inc('KafkaEventSendTimer', 0);
  }

  protected override async onStart(): Promise<void> {
    await loadCompressionCodec(this.config.compression, this.name);
    // Connection failures are not fatal here: the first write connects, and the runner backs off until the cluster is reachable.
    // The murmur2 partitioner Java clients use, so equal keys land where Flume's Kafka sink put them.
    this.producer = this.kafka.producer({ allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner });
    this.ctx.logger.info({ topic: this.config.topic, acks: this.config.acks, compression: this.config.compression }, 'kafka sink started');
  }

  protected override async onStop(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (this.connected) this.ctx.metrics.counters.ConnectionClosedCount! += 1;
    this.connected = false;
    await producer?.disconnect().catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'kafka sink producer did not disconnect cleanly'));
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new SluiceError('SLUICE_DELIVERY_FAILED', `Kafka sink '${this.name}' is not started`);
    const byTopic = this.toTopicMessages(events);
    const started = Date.now();
    try {
      if (!this.connected) {
        await producer.connect();
        this.connected = true;
        this.ctx.metrics.counters.ConnectionCreatedCount! += 1;
      }
      await producer.sendBatch({
        topicMessages: byTopic, acks: this.acks, timeout: this.timeoutMs, compression: COMPRESSION_TYPES[this.config.compression],
      });
    } catch (error) {
      if (!this.connected) this.ctx.metrics.counters.ConnectionFailedCount! += 1;
      const rejected = rejectionOf(error);
      const topics = byTopic.map((t) => t.topic).join(', ');
      throw new SluiceError(rejected === undefined ? 'SLUICE_DELIVERY_FAILED' : 'SLUICE_EVENT_REJECTED',
        `Kafka sink '${this.name}' could not produce ${events.length} events to ${topics} on ${this.config.brokers.join(',')}: ${(error as Error).message}`,
        { cause: error });
    } finally {
      this.ctx.metrics.inc('KafkaEventSendTimer', Date.now() - started);
    }
  }

  private toTopicMessages(events: SluiceEvent[]): TopicMessages[] {
    const { topic: defaultTopic, topicHeader, keyHeader, partitionHeader, recordHeaders, useFlumeEventFormat } = this.config;
    const byTopic = new Map<string, Message[]>();
    let lastTopic = '';
    let lastMessages: Message[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const headers = event.headers;
      const topic = (topicHeader !== '' ? headers[topicHeader] : undefined) || defaultTopic;
      const key = keyHeader !== '' ? headers[keyHeader] : undefined;
      const message: Message = { value: useFlumeEventFormat ? encodeAvroFlumeEvent(event) : event.body };
      if (key !== undefined) message.key = key;
      if (partitionHeader !== '') {
        const partition = headers[partitionHeader];
        if (partition !== undefined && /^[0-9]+$/.test(partition)) message.partition = Number(partition);
      }
      if (recordHeaders) {
        const record = headersToRecord(headers);
        if (record !== undefined) message.headers = record;
      }
      if (topic !== lastTopic || lastMessages === undefined) {
        lastTopic = topic;
        lastMessages = byTopic.get(topic);
        if (!lastMessages) {
          lastMessages = [];
          byTopic.set(topic, lastMessages);
        }
      }
      lastMessages.push(message);
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }
}

export const kafkaSink = defineComponent<'sink', KafkaSinkConfig>({
  kind: 'sink',
  type: 'kafka',
  description: 'Produces events to Kafka topics (topic and key from headers, event headers as record headers, optional compression).',
  guarantee: 'At least once: the channel transaction commits only after Kafka acknowledged the whole batch (acks all by default); a failure rolls the batch back and it is produced again, possibly duplicating records Kafka already stored. acks none gives no guarantee.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...CONNECTION_SCHEMA_PROPERTIES,
      topic: { type: 'string', minLength: 1, default: 'default-flume-topic', description: 'Topic for events without a topic header (Flume: kafka.topic).' },
      topicHeader: { type: 'string', default: 'topic', description: 'Header whose value, when present, overrides topic (Flume: topicHeader with allowTopicOverride); empty disables the override.' },
      keyHeader: { type: 'string', default: 'key', description: 'Header whose value becomes the record key (records with equal keys go to one partition); empty for no key.' },
      partitionHeader: { type: 'string', default: '', description: 'Header whose value (a partition number) picks the partition, overriding the key (Flume: partitionIdHeader); empty to let the key decide. A number the topic does not have fails the batch.' },
      recordHeaders: { type: 'boolean', default: true, description: 'Send every event header as a Kafka record header.' },
      useFlumeEventFormat: { type: 'boolean', default: false, description: 'Write the record value as an Avro binary AvroFlumeEvent (headers and body), as Flume\'s useFlumeEventFormat; readable by a kafka channel (parseAsFlumeEvent) and a kafka source with useFlumeEventFormat.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Events taken per transaction and produced in one request (Flume: flumeBatchSize).' },
      acks: { type: 'string', enum: ['all', 'leader', 'none'], default: 'all', description: 'Acknowledgement required before the transaction commits: all in-sync replicas, the leader only, or none (no delivery guarantee).' },
      compression: { type: 'string', enum: ['none', 'gzip', 'snappy', 'lz4', 'zstd'], default: 'none', description: 'Record batch compression. gzip is built in; snappy, lz4 and zstd need the npm packages kafkajs-snappy, kafkajs-lz4 or @kafkajs/zstd installed next to the agent.' },
      timeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long the broker may wait for the replicas\' acknowledgements.' },
    },
    required: [...CONNECTION_REQUIRED, 'topic', 'topicHeader', 'keyHeader', 'partitionHeader', 'recordHeaders', 'useFlumeEventFormat', 'batchSize', 'acks', 'compression', 'timeout'],
  } as never,
  // Flume's Kafka sink waits for the leader only (acks 1) unless kafka.producer.acks says otherwise.
  flumeDefaults: { acks: 'leader' },
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    const used = connectionFromFlume(properties, config, flume);
    for (const [key, value] of Object.entries(properties)) {
      if (used.has(key)) continue;
      if (key === 'kafka.topic') config.topic = value;
      else if (key === 'topic') {
        if (properties['kafka.topic'] === undefined) config.topic = value;
        flume?.warn(key, 'is the deprecated Flume 1.6 name of kafka.topic: Flume up to 1.9 honoured it, Flume 1.10+ ignores it; Sluice honours it', 'rename it to kafka.topic');
      } else if (key === 'flumeBatchSize' || key === 'kafka.flumeBatchSize') config.batchSize = value;
      else if (key === 'batchSize') {
        if (properties.flumeBatchSize === undefined && properties['kafka.flumeBatchSize'] === undefined) config.batchSize = value;
        flume?.warn(key, 'is the deprecated Flume 1.6 name of flumeBatchSize: Flume up to 1.9 honoured it, Flume 1.10+ ignores it; Sluice honours it', 'rename it to flumeBatchSize');
      } else if (key === 'kafka.producer.acks' || key === 'requiredAcks') {
        config.acks = value === '-1' || value === 'all' ? 'all' : value === '0' ? 'none' : 'leader';
        if (key === 'requiredAcks') flume?.warn(key, 'is the deprecated Flume 1.6 name of kafka.producer.acks: Flume up to 1.9 honoured it, Flume 1.10+ ignores it; Sluice honours it', 'rename it to kafka.producer.acks');
      } else if (key === 'kafka.producer.compression.type') config.compression = value;
      else if (key === 'kafka.producer.timeout.ms' || key === 'kafka.producer.request.timeout.ms') config.timeout = `${value}ms`;
      else if (warnJavaClientKey(key, flume)) continue;
      else if (key === 'defaultPartitionId') flume?.warn(key, 'pins every record to one partition in Flume; Sluice partitions by the key header (or partitionIdHeader) and ignores it', 'set partitionIdHeader and a static interceptor to pin a partition');
      else if (key === 'timestampHeader' || key.startsWith('header.')) flume?.warn(key, 'maps event headers onto record fields in Flume\'s Kafka sink; Sluice sends every event header as a Kafka record header (recordHeaders) and ignores it');
      else if (key === 'allowTopicOverride') { if (value === 'false') config.topicHeader = ''; }
      else if (key === 'topicHeader') config.topicHeader = value;
      else if (key === 'useFlumeEventFormat') config.useFlumeEventFormat = value;
      else if (key === 'partitionIdHeader') config.partitionHeader = value;
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new KafkaSink(config, ctx),
});
