import { definePlugin } from '@sluice/core';
import { kafkaChannel } from './kafka-channel.js';
import { kafkaSink } from './kafka-sink.js';
import { kafkaSource } from './kafka-source.js';

export { kafkaChannel, KafkaChannel, type KafkaChannelConfig } from './kafka-channel.js';
export { kafkaSink, KafkaSink, type KafkaSinkConfig } from './kafka-sink.js';
export { kafkaSource, KafkaSource, type KafkaSourceConfig } from './kafka-source.js';
export { CODEC_PACKAGES, type Compression } from './compression.js';
export { CONNECTION_SCHEMA_PROPERTIES, CONNECTION_REQUIRED, kafkaClientConfig, type KafkaConnectionConfig, type SaslMechanism } from './connection.js';

/** The Kafka plugin: a `kafka` channel, source and sink on kafkajs. */
export default definePlugin({ name: '@sluice/plugin-kafka', core: '^0.1.0', components: [kafkaChannel, kafkaSource, kafkaSink] });
