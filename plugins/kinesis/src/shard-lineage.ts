import type { Shard } from '@aws-sdk/client-kinesis';
import type { ShardCheckpoint } from './shard-checkpoint-store.js';

/** Where to open a shard iterator. */
export type StartPosition =
  | { type: 'AFTER_SEQUENCE_NUMBER' | 'AT_SEQUENCE_NUMBER'; sequenceNumber: string; subSequenceNumber?: number }
  | { type: 'TRIM_HORIZON' | 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestamp: Date };

/** The initial position of the source config (for shards with no checkpoint and no parent). */
export type InitialPosition = { type: 'TRIM_HORIZON' | 'LATEST' } | { type: 'AT_TIMESTAMP'; timestamp: Date };

/**
 * Decides which shards may be read now and from where, the way the KCL does: a shard is read only
 * after every parent present in the stream (ParentShardId, AdjacentParentShardId) was read to its
 * end, so the records of a partition key come out parents first. A shard resumes after its
 * checkpoint; a child of shards we read starts at TRIM_HORIZON (nothing written to it is
 * skipped); a shard with no parent starts at the configured initial position.
 *
 * Called by the kinesis source after each ListShards, with the checkpoints known so far; it
 * returns the shards to start, never one that is finished or in `reading`.
 */
export function shardsToStart(shards: readonly Shard[], checkpoints: ReadonlyMap<string, ShardCheckpoint>, reading: ReadonlySet<string>, initial: InitialPosition): { shardId: string; position: StartPosition }[] {
  const present = new Set(shards.map((s) => s.ShardId!));
  const out: { shardId: string; position: StartPosition }[] = [];
  for (const shard of shards) {
    const id = shard.ShardId!;
    const checkpoint = checkpoints.get(id);
    if (checkpoint?.end || reading.has(id)) continue;
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined && present.has(p));
    if (parents.some((p) => !checkpoints.get(p)?.end)) continue;
    let position: StartPosition;
    if (checkpoint?.sequenceNumber !== undefined) {
      position = checkpoint.subSequenceNumber === undefined
        ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequenceNumber }
        : { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequenceNumber, subSequenceNumber: checkpoint.subSequenceNumber };
    } else if (parents.length > 0 && !parents.some((p) => checkpoints.get(p)?.skipped)) {
      position = { type: 'TRIM_HORIZON' };
    } else {
      position = initial;
    }
    out.push({ shardId: id, position });
  }
  return out;
}

/**
 * At the very first start at LATEST (no checkpoint for the stream at all) the closed shards hold
 * only the past: they are marked `skipped` so their open descendants start at LATEST too, instead
 * of replaying the descendants from TRIM_HORIZON. Returns the shard ids to mark.
 */
export function closedShardsToSkip(shards: readonly Shard[]): string[] {
  return shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber !== undefined).map((s) => s.ShardId!);
}
