import { definePlugin } from '@sluice/core';
import { kinesisSink } from './kinesis-sink-definition.js';
import { kinesisSource } from './kinesis-source-definition.js';
import { firehoseSink } from './firehose-sink-definition.js';

export { KinesisSink, KINESIS_LIMITS, type KinesisSinkConfig } from './kinesis-sink.js';
export { kinesisSink } from './kinesis-sink-definition.js';
export { KinesisSource, type KinesisSourceConfig } from './kinesis-source.js';
export { kinesisSource } from './kinesis-source-definition.js';
export { FirehoseSink, FIREHOSE_LIMITS, type FirehoseSinkConfig } from './firehose-sink.js';
export { firehoseSink } from './firehose-sink-definition.js';
export { LocalCheckpointStore, type CheckpointStore, type ShardCheckpoint } from './shard-checkpoint-store.js';
export { shardsToStart, type StartPosition, type InitialPosition } from './shard-lineage.js';
export { RecordAggregator, deaggregate, isAggregated, KPL_MAGIC, type UserRecord } from './kpl-aggregation.js';
export { toSluiceError } from './kinesis-errors.js';

export default definePlugin({ name: '@sluice/plugin-kinesis', core: '^0.1.0', components: [kinesisSource, kinesisSink, firehoseSink] });
