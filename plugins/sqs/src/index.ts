import { definePlugin } from '@sluice/core';
import { sqsChannel } from './sqs-channel.js';
import { sqsSink } from './sqs-sink.js';
import { sqsSource } from './sqs-source.js';

export { sqsChannel, SqsChannel, type SqsChannelConfig } from './sqs-channel.js';
export { sqsSink, SqsSink, sqsSinkProblems, type SqsSinkConfig } from './sqs-sink.js';
export { sqsSource, SqsSource, toEvent, type SqsSourceConfig } from './sqs-source.js';
export { decodeMessage, encodeEvent, type EncodedMessage, type EncodeOptions } from './message-codec.js';
export { isFifoQueue, QUEUE_REQUIRED, QUEUE_SCHEMA_PROPERTIES, type SqsQueueConfig } from './sqs-queue.js';

/** The SQS plugin: an `sqs` source, sink and channel on @aws-sdk/client-sqs (imported at start). */
export default definePlugin({ name: '@sluice/plugin-sqs', core: '^0.1.0', components: [sqsSource, sqsSink, sqsChannel] });
