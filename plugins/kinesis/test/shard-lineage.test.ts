import { expect } from 'chai';
import type { Shard } from '@aws-sdk/client-kinesis';
import { shardsToStart, type ShardCheckpoint } from '../src/index.js';

const shard = (id: number, parent?: number, adjacent?: number, closed = false): Shard => ({
  ShardId: `shardId-${String(id).padStart(12, '0')}`,
  ...(parent === undefined ? {} : { ParentShardId: `shardId-${String(parent).padStart(12, '0')}` }),
  ...(adjacent === undefined ? {} : { AdjacentParentShardId: `shardId-${String(adjacent).padStart(12, '0')}` }),
  HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
  SequenceNumberRange: { StartingSequenceNumber: '1', ...(closed ? { EndingSequenceNumber: '9' } : {}) },
});
const id = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;

describe('shardsToStart', () => {
  // 0 split into 2 and 3; 1 and 3 merged into 4.
  const shards = [shard(0, undefined, undefined, true), shard(1, undefined, undefined, true), shard(2, 0), shard(3, 0, undefined, true), shard(4, 3, 1)];

  it('starts only the roots first, at the initial position', () => {
    const ready = shardsToStart(shards, new Map(), new Set(), { type: 'LATEST' });
    expect(ready).to.deep.equal([{ shardId: id(0), position: { type: 'LATEST' } }, { shardId: id(1), position: { type: 'LATEST' } }]);
  });

  it('starts a child at TRIM_HORIZON once every parent ended, a merge child only after both', () => {
    const checkpoints = new Map<string, ShardCheckpoint>([[id(0), { end: true }], [id(1), { sequenceNumber: '5' }]]);
    const ready = shardsToStart(shards, checkpoints, new Set([id(1)]), { type: 'LATEST' });
    expect(ready).to.deep.equal([{ shardId: id(2), position: { type: 'TRIM_HORIZON' } }, { shardId: id(3), position: { type: 'TRIM_HORIZON' } }]);
    checkpoints.set(id(3), { end: true });
    expect(shardsToStart(shards, checkpoints, new Set([id(1), id(2)]), { type: 'LATEST' })).to.deep.equal([]);
    checkpoints.set(id(1), { end: true });
    expect(shardsToStart(shards, checkpoints, new Set([id(2)]), { type: 'LATEST' })).to.deep.equal([{ shardId: id(4), position: { type: 'TRIM_HORIZON' } }]);
  });

  it('resumes after a checkpoint, at it when the checkpoint is inside an aggregated record', () => {
    const checkpoints = new Map<string, ShardCheckpoint>([[id(0), { sequenceNumber: '7' }], [id(1), { sequenceNumber: '8', subSequenceNumber: 2 }]]);
    expect(shardsToStart(shards, checkpoints, new Set(), { type: 'TRIM_HORIZON' })).to.deep.equal([
      { shardId: id(0), position: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '7' } },
      { shardId: id(1), position: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '8', subSequenceNumber: 2 } },
    ]);
  });

  it('starts the children of skipped shards at the initial position', () => {
    const checkpoints = new Map<string, ShardCheckpoint>([[id(0), { end: true, skipped: true }], [id(1), { end: true, skipped: true }], [id(3), { end: true, skipped: true }]]);
    expect(shardsToStart(shards, checkpoints, new Set(), { type: 'LATEST' })).to.deep.equal([
      { shardId: id(2), position: { type: 'LATEST' } }, { shardId: id(4), position: { type: 'LATEST' } },
    ]);
  });

  it('treats a parent no longer listed (past retention) as finished', () => {
    expect(shardsToStart([shard(5, 99)], new Map(), new Set(), { type: 'TRIM_HORIZON' })).to.deep.equal([{ shardId: id(5), position: { type: 'TRIM_HORIZON' } }]);
  });
});
