import path from 'node:path';
import { defineComponent, durationOption, sizeOption } from '@sluice/core';
import { FileChannel, type FileChannelConfig } from './file-channel.js';

/** Flume file-channel keys with no equivalent here: the index records consumption on every commit, so there is no checkpoint. */
const FLUME_KEYS_WITHOUT_EFFECT = new Set([
  'checkpointInterval', 'useDualCheckpoints', 'backupCheckpointDir', 'checkpointOnClose',
  'use-log-replay-v1', 'use-fast-replay', 'checkpointDir',
]);

/** The `file` channel: durable on local disk (append-only data files, LevelDB index). */
export const fileChannel = defineComponent<'channel', FileChannelConfig>({
  kind: 'channel',
  type: 'file',
  description: 'Durable channel on local disk (append-only data files with a LevelDB index): committed events survive a crash and are delivered after restart.',
  guarantee: 'At-least-once across crashes. fsync: always (default): a put commit resolves only after its batch is fsynced, so nothing committed is lost even on power failure. Put commits resolve in the order they were made, and a failed write also fails the put commits waiting behind it, so a source with several commits in flight never has a later batch stored without an earlier one that failed. fsync: interval: a committed put survives a process crash at once and an OS crash or power loss once fsyncInterval has passed. Taken events are removed only when the take commits; if the process dies first they are delivered again (duplicates bounded by the batches in flight). Damaged records found on disk are skipped, counted (CorruptEventCount) and logged; the channel still starts.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      dataDir: { type: 'string', default: '', description: 'Directory of this channel\'s store, used by one channel only (locked). Empty: <agent dataDir>/<channel name>. Relative paths resolve against the working directory.' },
      capacity: { type: 'integer', minimum: 1, default: 1000000, description: 'Maximum events held (including taken but uncommitted events).' },
      byteCapacity: sizeOption('Maximum bytes of stored, not yet consumed batches; 0 for no byte limit. Data files are deleted whole, so disk use can exceed this by about maxFileSize.', '0'),
      transactionCapacity: { type: 'integer', minimum: 1, default: 10000, description: 'Maximum events one transaction may put or take; at least the batchSize of every source and sink using the channel.' },
      fsync: { type: 'string', enum: ['always', 'interval'], default: 'always', description: 'always: every commit is fsynced before it resolves (concurrent commits share one fsync). interval: commits reach the OS at once and the disk every fsyncInterval; an OS crash or power loss can lose the commits of the last interval.' },
      fsyncInterval: durationOption('With fsync: interval, how often written commits are fsynced (the loss window on OS crash or power loss).', '1s', 's'),
      minFreeSpace: sizeOption('Puts fail with SLUICE_CHANNEL_FULL when free space on the dataDir filesystem would drop below this; 0 disables the check (Flume minimumRequiredSpace).', '500MiB'),
      keepAlive: durationOption('How long a put commit waits for room before failing with SLUICE_CHANNEL_FULL (Flume keep-alive).', '3s', 's'),
      maxFileSize: sizeOption('Size at which the channel starts a new data file. A data file is deleted once every batch in it is consumed, so smaller files return disk space sooner.', '64MiB'),
    },
    required: ['dataDir', 'capacity', 'byteCapacity', 'transactionCapacity', 'fsync', 'fsyncInterval', 'minFreeSpace', 'keepAlive', 'maxFileSize'],
  },
  capabilities: { durable: true, bounded: true },
  resources: (config) => (config.dataDir === '' ? [] : [{ id: `dir:${path.resolve(config.dataDir)}`, key: 'dataDir' }]),
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'dataDirs') {
        const dirs = value.split(',').map((d) => d.trim()).filter(Boolean);
        config.dataDir = dirs[0];
        if (dirs.length > 1) flume?.warn(key, `lists ${dirs.length} directories; Sluice keeps the channel in the first (${dirs[0]!}) and ignores the others`);
      } else if (key.startsWith('encryption.')) flume?.refuse(key, 'Sluice\'s file channel does not encrypt its data files; writing them in clear would weaken what this file asked for', 'encrypt the volume (dm-crypt, an encrypted EBS volume) and remove the encryption.* keys');
      else if (FLUME_KEYS_WITHOUT_EFFECT.has(key) && key !== 'checkpointDir') flume?.warn(key, 'tunes Flume\'s checkpoint and replay; Sluice\'s file channel indexes every commit (no checkpoint to tune) and ignores it');
      else if (key === 'keep-alive') config.keepAlive = `${value}s`;
      else if (key === 'minimumRequiredSpace') config.minFreeSpace = `${value}B`;
      else if (key === 'fsyncPerTransaction') config.fsync = value.trim() === 'false' ? 'interval' : 'always';
      else if (key === 'fsyncInterval') config.fsyncInterval = `${value}s`;
      else if (key === 'maxFileSize') config.maxFileSize = `${value}B`;
      else if (key !== 'checkpointDir') config[key] = value;
    }
    // Flume splits its store into a checkpoint and data logs; here one directory holds both.
    if (config.dataDir === undefined && properties.checkpointDir !== undefined) config.dataDir = properties.checkpointDir;
    return config;
  },
  create: (config, ctx) => new FileChannel(config, ctx),
});
