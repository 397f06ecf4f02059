import { AWS_REQUIRED, AWS_SCHEMA_PROPERTIES, awsSettingsProblems, defineComponent, DURATION_PATTERN } from '@sluice/core';
import { FirehoseSink, type FirehoseSinkConfig } from './firehose-sink.js';

/** The `firehose` sink: PutRecordBatch into an Amazon Data Firehose delivery stream. */
export const firehoseSink = defineComponent<'sink', FirehoseSinkConfig>({
  kind: 'sink',
  type: 'firehose',
  description: 'Puts events into an Amazon Data Firehose (Kinesis Data Firehose) delivery stream with PutRecordBatch (500 records / 4 MiB per call), retrying only the refused entries.',
  guarantee: 'At-least-once: a channel transaction commits only after Firehose accepted every record of its batch. Refused entries are retried alone; if they are still refused after retryTimeout, or a call fails, the batch rolls back and is sent again (records already accepted are duplicated). Records over 1,000 KiB go to the dead-letter channel once the rest of the batch is accepted, or, without one, are dropped and counted (EventRejectedCount).',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      deliveryStreamName: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9_.-]+$', description: 'The delivery stream to put records into (it must exist).' },
      batchSize: { type: 'integer', minimum: 1, default: 500, description: 'Events taken per channel transaction (sent in PutRecordBatch calls of at most 500 records and 4 MiB).' },
      appendNewline: { type: 'boolean', default: false, description: 'Append \\n to each record: Firehose concatenates records into its S3 objects without a delimiter, so line-oriented readers (Athena, Glue, grep) want it.' },
      retryTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long the entries a PutRecordBatch call refused are retried before the batch rolls back.' },
      maxBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'Longest wait between retries of refused entries (the backoff starts at 100ms and doubles).' },
      ...AWS_SCHEMA_PROPERTIES,
    },
    required: ['deliveryStreamName', 'batchSize', 'appendNewline', 'retryTimeout', 'maxBackoff', ...AWS_REQUIRED],
  },
  check: (config) => awsSettingsProblems(config),
  create: (config, ctx) => new FirehoseSink(config, ctx),
});
