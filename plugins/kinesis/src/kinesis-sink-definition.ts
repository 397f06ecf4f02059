import { AWS_REQUIRED, AWS_SCHEMA_PROPERTIES, awsSettingsProblems, defineComponent, DURATION_PATTERN, SIZE_PATTERN, type Problem } from '@sluice/core';
import { headerTemplateError } from './header-template.js';
import { KinesisSink, type KinesisSinkConfig } from './kinesis-sink.js';

/** The `kinesis` sink: PutRecords into a Kinesis data stream. */
export const kinesisSink = defineComponent<'sink', KinesisSinkConfig>({
  kind: 'sink',
  type: 'kinesis',
  description: 'Puts events into an Amazon Kinesis data stream with PutRecords (500 records / 5 MiB per call), retrying only the records a call refused; optional KPL aggregation.',
  guarantee: 'At-least-once: a channel transaction commits only after Kinesis accepted every record of its batch. Records refused by a partly failed call are retried alone; if they are still refused after retryTimeout, or a call fails, the batch rolls back and is sent again (records already accepted are duplicated). Records that can never be accepted (over 1 MiB, key over 256 characters) go to the dead-letter channel once the rest of the batch is accepted, or, without one, are dropped and counted (EventRejectedCount).',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      streamName: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.-]+$', description: 'The data stream to put records into (it must exist).' },
      partitionKey: { type: 'string', default: '', description: 'Partition key template: literal text with %{header} escapes, e.g. %{host}. Records of one key go to one shard, in order. Empty (or a template rendering empty) uses a random key per record.' },
      explicitHashKey: { type: 'string', default: '', description: 'Optional explicit hash key template (a decimal 128-bit number, or %{header}) that picks the shard instead of the partition key\'s MD5. Empty: none.' },
      batchSize: { type: 'integer', minimum: 1, default: 500, description: 'Events taken per channel transaction (sent in PutRecords calls of at most 500 records and 5 MiB).' },
      appendNewline: { type: 'boolean', default: false, description: 'Append \\n to each record, as the Kinesis Agent sends lines (consumers that split on newlines expect it).' },
      aggregate: { type: 'boolean', default: false, description: 'Pack records into KPL aggregated records (the KCL and the kinesis source de-aggregate them): fewer, bigger Kinesis records, so more events per shard throughput unit.' },
      aggregationMaxSize: { type: 'string', pattern: SIZE_PATTERN, default: '50KiB', description: 'Largest aggregated record (the KPL\'s AggregationMaxSize is 51200 bytes); at most 1 MiB.' },
      retryTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long the records a PutRecords call refused (throttling, internal failure) are retried before the batch rolls back.' },
      maxBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'Longest wait between retries of refused records (the backoff starts at 100ms and doubles).' },
      ...AWS_SCHEMA_PROPERTIES,
    },
    required: ['streamName', 'partitionKey', 'explicitHashKey', 'batchSize', 'appendNewline', 'aggregate', 'aggregationMaxSize', 'retryTimeout', 'maxBackoff', ...AWS_REQUIRED],
  },
  check(config) {
    const problems: Problem[] = [];
    for (const key of ['partitionKey', 'explicitHashKey'] as const) {
      const message = headerTemplateError(config[key]);
      if (message) problems.push({ path: `/${key}`, message });
    }
    if (config.explicitHashKey !== '' && !config.explicitHashKey.includes('%{') && !/^\d{1,39}$/.test(config.explicitHashKey)) {
      problems.push({ path: '/explicitHashKey', message: `explicitHashKey '${config.explicitHashKey}' is not a decimal number`, hint: 'write a number between 0 and 2^128-1, or a %{header} template' });
    }
    return [...problems, ...awsSettingsProblems(config)];
  },
  create: (config, ctx) => new KinesisSink(config, ctx),
});
