import {
  AWS_REQUIRED, AWS_SCHEMA_PROPERTIES, awsSettingsProblems, BUCKETING_REQUIRED, BUCKETING_SCHEMA_PROPERTIES, bucketingFromFlume, bucketTemplateError, COMPRESSION_NAMES,
  defineComponent, flumeSerializerName, SERIALIZER_NAMES, SIZE_PATTERN,
} from '@sluice/core';
import { S3Sink, type S3SinkConfig } from './s3-sink.js';

/** The `s3` sink: bucketed, rolling objects on S3 or an S3-compatible store. */
export const s3Sink = defineComponent<'sink', S3SinkConfig>({
  kind: 'sink',
  type: 's3',
  description: 'Writes events into bucketed, rolling S3 objects (staged locally, uploaded with PutObject or multipart).',
  guarantee: 'At-least-once: the channel transactions holding an object\'s events are committed only after its upload succeeded. A failed upload rolls back every waiting transaction and a crash leaves them uncommitted, so events are re-sent (duplicates possible), never lost with a durable channel. Objects appear atomically, never partially.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bucket: { type: 'string', minLength: 3, description: 'The bucket to write to (it must exist).' },
      key: { type: 'string', default: '%Y/%m/%d/%H/', description: 'Key prefix template of each object, with Flume escapes (%Y %m %d %H ... %{header} %[localhost]); objects are <key><filePrefix>.<startMillis>-<random token>-<n><suffix>. Header values cannot leave the prefix.' },
      filePrefix: { type: 'string', minLength: 1, default: 'events', description: 'Object name prefix after the key template.' },
      fileSuffix: { type: 'string', default: '', description: 'Object name suffix; empty uses the serializer extension (.log, .json, .avro, plus .gz).' },
      forcePathStyle: { type: 'boolean', default: false, description: 'Use path-style URLs (endpoint/bucket/key), needed by most S3-compatible stores.' },
      serializer: { type: 'string', enum: [...SERIALIZER_NAMES], default: 'text', description: 'Output format: text, header_and_text, json (one object per line) or avro_event (Avro container of AvroFlumeEvent).' },
      compression: { type: 'string', enum: [...COMPRESSION_NAMES], default: 'none', description: 'gzip compresses each batch as one gzip member (zcat reads the object whole).' },
      batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Events taken per channel transaction.' },
      multipartThreshold: { type: 'string', pattern: SIZE_PATTERN, default: '16MiB', description: 'Objects larger than this are uploaded in parts.' },
      partSize: { type: 'string', pattern: SIZE_PATTERN, default: '8MiB', description: 'Multipart part size (at least 5MiB).' },
      maxWaitingEvents: { type: 'integer', minimum: 1, default: 200000, description: 'Upload every open object once this many events (or half the channel capacity, if lower) wait for an upload; their transactions stay open until then.' },
      ...AWS_SCHEMA_PROPERTIES,
      ...BUCKETING_SCHEMA_PROPERTIES,
    },
    required: ['bucket', 'key', 'filePrefix', 'fileSuffix', 'forcePathStyle', 'serializer', 'compression', 'batchSize', 'multipartThreshold', 'partSize', 'maxWaitingEvents', ...AWS_REQUIRED, ...BUCKETING_REQUIRED],
  },
  // The same parser, and message, the constructor throws with at start.
  check(config) {
    const message = bucketTemplateError(config.key);
    return [...(message === undefined ? [] : [{ path: '/key', message }]), ...awsSettingsProblems(config)];
  },
  // Not a Flume component; in a Flume file it takes the batch size of Flume's own bucketing sink (hdfs), which fits Flume's 100-event memory channel.
  flumeDefaults: { batchSize: 100 },
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    for (const [raw, value] of Object.entries(properties)) {
      const key = raw.startsWith('s3.') ? raw.slice(3) : raw;
      if (bucketingFromFlume(key, value, config)) continue;
      if (key === 'serializer') {
        const name = flumeSerializerName(value, raw, flume);
        if (name) config.serializer = name;
      }
      else if (key === 'forcePathStyle') config.forcePathStyle = value === 'true';
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new S3Sink(config, ctx),
});
