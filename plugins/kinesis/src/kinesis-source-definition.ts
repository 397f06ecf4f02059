import { AWS_REQUIRED, AWS_SCHEMA_PROPERTIES, awsSettingsProblems, defineComponent, DURATION_PATTERN, type Problem } from '@sluice/core';
import { KinesisSource, parseTimestamp, type KinesisSourceConfig } from './kinesis-source.js';

/** The `kinesis` source: reads every shard of a Kinesis data stream, following resharding. */
export const kinesisSource = defineComponent<'source', KinesisSourceConfig>({
  kind: 'source',
  type: 'kinesis',
  description: 'Reads a Kinesis data stream (every shard, following splits and merges, parents before children) and de-aggregates KPL records; checkpoints per shard in local files, or shares the shards among agents through a DynamoDB lease table.',
  guarantee: 'At-least-once: a shard\'s checkpoint advances only after the channel committed its events, and a refused delivery is retried, never skipped. After a crash or restart each shard resumes after its checkpoint, so the events of the last uncheckpointed batch may be delivered again; with a lease table the same holds when another agent takes a shard over. Records of one partition key keep their order, across resharding too.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      streamName: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_.-]+$', description: 'The data stream to read.' },
      initialPosition: { type: 'string', enum: ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'], default: 'LATEST', description: 'Where a shard with no checkpoint starts (as the Kinesis Agent and KCL name it): the oldest record kept (TRIM_HORIZON), records put after start (LATEST) or from initialTimestamp (AT_TIMESTAMP). Children of shards already read always start at their beginning.' },
      initialTimestamp: { type: 'string', default: '', description: 'With AT_TIMESTAMP: an ISO 8601 date (2024-05-01T00:00:00Z) or epoch milliseconds.' },
      batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 1000, description: 'Records per GetRecords call, and events per channel transaction (de-aggregated records are delivered in chunks of this size).' },
      pollInterval: { type: 'string', pattern: DURATION_PATTERN, default: '1s', description: 'Wait before reading a shard again once it is caught up (the KCL\'s idleTimeBetweenReads). Reads of one shard are at least 200ms apart (Kinesis allows 5 per second).' },
      shardSyncInterval: { type: 'string', pattern: DURATION_PATTERN, default: '10s', description: 'How often the shard list is read to find new shards after a split or merge (also right after a shard ends).' },
      checkpointDir: { type: 'string', default: '', description: 'Directory of the per-shard checkpoint files; empty uses the component\'s directory under the agent dataDir. Checkpoints are kept per stream name inside it.' },
      leaseTable: { type: 'string', default: '', description: 'DynamoDB table (created on demand) through which several agents share the stream\'s shards like KCL workers: leases taken, renewed, balanced and taken over from a dead agent after leaseDuration; checkpoints live there too. Empty: this agent reads every shard with local checkpoints.' },
      leaseTableEndpoint: { type: 'string', default: '', description: 'With leaseTable: endpoint URL of DynamoDB (an emulator such as dynalite, a VPC endpoint); empty uses AWS. The other AWS keys (region, credentials) are shared with Kinesis.' },
      leaseDuration: { type: 'string', pattern: DURATION_PATTERN, default: '10s', description: 'With leaseTable: a lease not renewed for this long is taken over by another agent (the KCL\'s failoverTimeMillis); leases are renewed every third of it.' },
      workerId: { type: 'string', default: '', description: 'With leaseTable: this agent\'s name in the lease table; empty uses host name, process id and a random suffix (unique per run).' },
      maxBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'Longest wait between retries after throttling, an unreachable endpoint or a full channel.' },
      ...AWS_SCHEMA_PROPERTIES,
    },
    required: ['streamName', 'initialPosition', 'initialTimestamp', 'batchSize', 'pollInterval', 'shardSyncInterval', 'checkpointDir', 'leaseTable', 'leaseTableEndpoint', 'leaseDuration', 'workerId', 'maxBackoff', ...AWS_REQUIRED],
  },
  check(config) {
    const problems: Problem[] = [];
    if (config.initialPosition === 'AT_TIMESTAMP') {
      try {
        parseTimestamp(config.initialTimestamp);
      } catch (error) {
        problems.push({ path: '/initialTimestamp', message: (error as Error).message, hint: 'AT_TIMESTAMP needs initialTimestamp, e.g. 2024-05-01T00:00:00Z' });
      }
    } else if (config.initialTimestamp !== '') {
      problems.push({ path: '/initialTimestamp', message: `initialTimestamp is only used with initialPosition AT_TIMESTAMP, not ${config.initialPosition}`, hint: 'remove it, or set initialPosition: AT_TIMESTAMP' });
    }
    if (config.leaseTable !== '' && !/^[a-zA-Z0-9_.-]{3,255}$/.test(config.leaseTable)) {
      problems.push({ path: '/leaseTable', message: `leaseTable '${config.leaseTable}' is not a DynamoDB table name`, hint: 'use 3 to 255 letters, digits, _ . -' });
    }
    for (const key of ['workerId', 'leaseTableEndpoint'] as const) {
      if (config.leaseTable === '' && config[key] !== '') problems.push({ path: `/${key}`, message: `${key} is only used with leaseTable`, hint: `set leaseTable, or remove ${key}` });
    }
    if (config.leaseTableEndpoint !== '') {
      for (const problem of awsSettingsProblems({ ...config, endpoint: config.leaseTableEndpoint })) {
        if (problem.path === '/endpoint') problems.push({ ...problem, path: '/leaseTableEndpoint', message: problem.message.replace('endpoint', 'leaseTableEndpoint') });
      }
    }
    return [...problems, ...awsSettingsProblems(config)];
  },
  create: (config, ctx) => new KinesisSource(config, ctx),
});
