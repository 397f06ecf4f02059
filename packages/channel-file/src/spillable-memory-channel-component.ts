import path from 'node:path';
import { DURATION_PATTERN, SIZE_PATTERN, defineComponent } from '@sluice/core';
import { fileChannel } from './file-channel-component.js';
import { SpillableMemoryChannel, type SpillableMemoryChannelConfig } from './spillable-memory-channel.js';

/** Flume SpillableMemoryChannel keys that tune its JVM heap estimate or spill hysteresis; here a batch spills as soon as memory is full. */
const FLUME_TUNING_KEYS = new Set(['avgEventSize', 'overflowTimeout', 'overflowDeactivationThreshold', 'byteCapacityBufferPercentage']);

/** The `spillablememory` channel: memory first, a file channel when memory is full. */
export const spillableMemoryChannel = defineComponent<'channel', SpillableMemoryChannelConfig>({
  kind: 'channel',
  type: 'spillablememory',
  description: 'Memory channel that spills to a durable file-channel overflow when memory is full (Flume\'s SpillableMemoryChannel); FIFO across both.',
  guarantee: 'Mixed, as in Flume: events held in memory are lost if the process crashes; events that spilled to the overflow are durable like the file channel\'s (fsync per commit by default) and are delivered after a restart. A put batch fills the room memory has left and spills the rest, all or nothing; takes keep the commit order across both.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      memoryCapacity: { type: 'integer', minimum: 0, default: 10000, description: 'Most events held in memory; 0 sends everything to the overflow (a file channel).' },
      overflowCapacity: { type: 'integer', minimum: 0, default: 100000000, description: 'Most events held in the overflow; 0 disables it (a memory channel).' },
      byteCapacity: { type: 'string', pattern: SIZE_PATTERN, default: '256MiB', description: 'Most body bytes held in memory; 0 for no byte limit.' },
      overflowByteCapacity: { type: 'string', pattern: SIZE_PATTERN, default: '0', description: 'Most bytes of stored batches in the overflow; 0 for no byte limit.' },
      transactionCapacity: { type: 'integer', minimum: 1, default: 100, description: 'Most events one transaction may put or take (Flume\'s default 100).' },
      dataDir: { type: 'string', default: '', description: 'Directory of the overflow store, used by one channel only. Empty: <agent dataDir>/<channel name>.' },
      fsync: { type: 'string', enum: ['always', 'interval'], default: 'always', description: 'Overflow commits: always fsynced before they resolve, or every fsyncInterval.' },
      fsyncInterval: { type: 'string', pattern: DURATION_PATTERN, default: '1s', description: 'With fsync: interval, how often overflow commits are fsynced.' },
      minFreeSpace: { type: 'string', pattern: SIZE_PATTERN, default: '500MiB', description: 'Spills fail with SLUICE_CHANNEL_FULL when free space on the dataDir filesystem would drop below this; 0 disables the check.' },
      keepAlive: { type: 'string', pattern: DURATION_PATTERN, default: '3s', description: 'How long a spill waits for room in a full overflow before failing with SLUICE_CHANNEL_FULL.' },
      maxFileSize: { type: 'string', pattern: SIZE_PATTERN, default: '64MiB', description: 'Size at which the overflow starts a new data file.' },
    },
    required: ['memoryCapacity', 'overflowCapacity', 'byteCapacity', 'overflowByteCapacity', 'transactionCapacity', 'dataDir', 'fsync', 'fsyncInterval', 'minFreeSpace', 'keepAlive', 'maxFileSize'],
  },
  capabilities: { bounded: true },
  resources: (config) => (config.dataDir === '' ? [] : [{ id: `dir:${path.resolve(config.dataDir)}`, key: 'dataDir' }]),
  check(config) {
    return config.memoryCapacity === 0 && config.overflowCapacity === 0
      ? [{ path: '/memoryCapacity', message: 'memoryCapacity and overflowCapacity are both 0: the channel could hold nothing', hint: 'raise one of them' }]
      : [];
  },
  fromFlume(properties) {
    const own: Record<string, unknown> = {};
    const fileKeys: Record<string, string> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'memoryCapacity' || key === 'overflowCapacity' || key === 'transactionCapacity') own[key] = value;
      else if (key === 'byteCapacity') own.byteCapacity = `${value}B`;
      else if (!FLUME_TUNING_KEYS.has(key)) fileKeys[key] = value;
    }
    return { ...fileChannel.fromFlume!(fileKeys), ...own };
  },
  create: (config, ctx) => new SpillableMemoryChannel(config, ctx),
});
