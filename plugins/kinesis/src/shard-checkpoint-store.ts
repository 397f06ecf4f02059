import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { SluiceError } from '@sluice/core';

/**
 * Where a shard's reading stands. `sequenceNumber` is the last Kinesis record whose events all
 * reached the channel, or (with `subSequenceNumber`) the KPL aggregated record whose user records
 * up to that index did. `end` means the shard is closed and read to its end (so its children may
 * start); `skipped` marks a closed shard passed over because the source started at LATEST.
 */
export interface ShardCheckpoint {
  sequenceNumber?: string;
  subSequenceNumber?: number;
  end?: boolean;
  skipped?: boolean;
}

/**
 * Checkpoints of one stream's shards. The kinesis source calls `save` only after the channel
 * committed the events up to the checkpoint, and one shard's checkpoints are saved by one caller
 * at a time. `load` returns every saved checkpoint, for the start.
 */
export interface CheckpointStore {
  load(): Promise<Map<string, ShardCheckpoint>>;
  save(shardId: string, checkpoint: ShardCheckpoint): Promise<void>;
  close(): Promise<void>;
}

/**
 * Checkpoints as one small JSON file per shard in a local directory (by default under the agent's
 * dataDir). Each save writes a temporary file, fsyncs it, renames it over the old one and fsyncs
 * the directory, so after a crash a shard's file holds either the old or the new checkpoint,
 * never a torn one.
 */
export class LocalCheckpointStore implements CheckpointStore {
  constructor(readonly directory: string) {}

  async load(): Promise<Map<string, ShardCheckpoint>> {
    const out = new Map<string, ShardCheckpoint>();
    try {
      await mkdir(this.directory, { recursive: true });
      for (const name of await readdir(this.directory)) {
        if (name.endsWith('.tmp')) {
          await rm(path.join(this.directory, name), { force: true });
          continue;
        }
        if (!name.endsWith('.json')) continue;
        const text = await readFile(path.join(this.directory, name), 'utf8');
        try {
          out.set(name.slice(0, -'.json'.length), JSON.parse(text) as ShardCheckpoint);
        } catch (cause) {
          throw new SluiceError('SLUICE_DATA_CORRUPT', `kinesis checkpoint ${path.join(this.directory, name)} is not valid JSON; delete it to re-read that shard from initialPosition`, { cause });
        }
      }
    } catch (cause) {
      if (cause instanceof SluiceError) throw cause;
      throw new SluiceError('SLUICE_COMPONENT_START', `cannot read kinesis checkpoints in ${this.directory}; check the agent dataDir permissions`, { cause });
    }
    return out;
  }

  async save(shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    const file = path.join(this.directory, `${shardId}.json`);
    const temporary = `${file}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify(checkpoint));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    const dir = await open(this.directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async close(): Promise<void> {}
}
