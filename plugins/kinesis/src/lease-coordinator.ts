import type { Logger } from '@sluice/core';
import { LeaseLostError, type DynamoLeaseTable, type ShardLease } from './lease-table.js';
import type { ShardCheckpoint } from './shard-checkpoint-store.js';

/**
 * Decides which shards this worker reads when several agents share a stream through a
 * {@link DynamoLeaseTable}, the way KCL workers balance leases:
 * - a lease whose counter has not moved for `leaseDurationMs` (its worker died) or that has no
 *   owner (released, or the shard's first lease) is free, and taken with a conditional write;
 * - each worker aims at ceil(unfinished leases / live workers) and takes free leases up to that;
 * - when nothing is free and another worker holds more than the target, one lease is stolen
 *   from the busiest worker per sync, so a new agent gets its share;
 * - held leases are renewed every third of `leaseDurationMs`; a failed renewal means the lease
 *   was taken, and `holds` turns false so the shard's reader stops (its uncheckpointed batch is
 *   read again by the new owner: duplicates, never loss).
 *
 * The kinesis source calls `refresh` at each shard sync (for the checkpoints every worker
 * wrote), `claim` with the shards ready by lineage, `renew` on its timer and `releaseAll` on stop.
 */
export class LeaseCoordinator {
  /** Leases held by this worker: shard id -> the counter we last wrote. */
  private readonly held = new Map<string, number>();
  /** Other workers' leases as last seen: counter, and when it last changed (our clock). */
  private readonly seen = new Map<string, { counter: number; owner: string | undefined; since: number }>();
  private leases = new Map<string, ShardLease>();

  constructor(private readonly table: DynamoLeaseTable, private readonly leaseDurationMs: number, private readonly logger: Logger) {}

  get workerId(): string {
    return this.table.workerId;
  }

  /** True while this worker holds the shard's lease. */
  holds(shardId: string): boolean {
    return this.held.has(shardId);
  }

  /** The shards this worker holds now. */
  get heldShards(): string[] {
    return [...this.held.keys()];
  }

  /** Re-reads the table; returns every shard's checkpoint as the workers wrote it. */
  async refresh(): Promise<Map<string, ShardCheckpoint>> {
    this.leases = await this.table.scan();
    const now = Date.now();
    for (const lease of this.leases.values()) {
      const before = this.seen.get(lease.shardId);
      if (!before || before.counter !== lease.counter || before.owner !== lease.owner) this.seen.set(lease.shardId, { counter: lease.counter, owner: lease.owner, since: now });
      if (this.held.has(lease.shardId) && lease.owner !== this.workerId) {
        this.held.delete(lease.shardId);
        this.logger.info({ shardId: lease.shardId, owner: lease.owner }, 'kinesis shard lease taken by another worker');
      }
    }
    return new Map([...this.leases.values()].map((l) => [l.shardId, l.checkpoint]));
  }

  /** Marks a closed shard skipped (first start at LATEST) unless a lease for it exists already. */
  async markSkipped(shardId: string): Promise<void> {
    await this.table.create(shardId, { end: true, skipped: true });
  }

  /**
   * Takes leases among `ready` (shards whose parents are finished and which are not finished)
   * up to this worker's share; returns the ready shards this worker holds afterwards.
   */
  async claim(ready: readonly string[]): Promise<string[]> {
    const now = Date.now();
    const expired = (l: ShardLease): boolean => l.owner === undefined || now - (this.seen.get(l.shardId)?.since ?? now) > this.leaseDurationMs;
    const unfinished = new Set([...[...this.leases.values()].filter((l) => !l.checkpoint.end).map((l) => l.shardId), ...ready]);
    const load = new Map<string, string[]>();
    for (const lease of this.leases.values()) {
      if (lease.checkpoint.end || lease.owner === undefined || lease.owner === this.workerId || expired(lease)) continue;
      const list = load.get(lease.owner) ?? [];
      list.push(lease.shardId);
      load.set(lease.owner, list);
    }
    const target = Math.ceil(unfinished.size / (load.size + 1));
    for (const shardId of ready) {
      if (this.held.size >= target) break;
      if (this.held.has(shardId)) continue;
      const lease = this.leases.get(shardId);
      let taken: ShardLease | undefined;
      if (!lease) taken = await this.table.create(shardId);
      else if (expired(lease)) taken = await this.table.take(lease);
      if (taken) this.gain(taken, lease?.owner);
    }
    if (this.held.size < target) {
      const [busiest, theirs] = [...load.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
      if (busiest && theirs!.length > target) {
        const victim = theirs!.find((id) => ready.includes(id));
        const lease = victim ? this.leases.get(victim) : undefined;
        const taken = lease ? await this.table.take(lease) : undefined;
        if (taken) this.gain(taken, busiest);
      }
    }
    return ready.filter((id) => this.held.has(id));
  }

  /** Renews every held lease; returns the shards whose lease was lost. */
  async renew(): Promise<string[]> {
    const lost: string[] = [];
    for (const [shardId, counter] of [...this.held]) {
      const next = await this.table.renew(shardId, counter);
      if (next === undefined) {
        this.held.delete(shardId);
        lost.push(shardId);
        this.logger.info({ shardId }, 'kinesis shard lease lost at renewal; another worker reads it now');
      } else if (this.held.has(shardId)) {
        this.held.set(shardId, next);
      }
    }
    return lost;
  }

  /** Writes a checkpoint under the lease (throws LeaseLostError when it is gone). */
  async checkpoint(shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    try {
      await this.table.checkpoint(shardId, checkpoint);
    } catch (error) {
      if (error instanceof LeaseLostError) this.held.delete(shardId);
      throw error;
    }
    if (checkpoint.end) this.held.delete(shardId);
  }

  /** Gives every held lease up (graceful stop). */
  async releaseAll(): Promise<void> {
    for (const shardId of [...this.held.keys()]) {
      this.held.delete(shardId);
      await this.table.release(shardId).catch((err: unknown) => this.logger.warn({ err, shardId }, 'could not release a kinesis shard lease; it expires by itself'));
    }
  }

  private gain(lease: ShardLease, from: string | undefined): void {
    this.held.set(lease.shardId, lease.counter);
    this.seen.set(lease.shardId, { counter: lease.counter, owner: lease.owner, since: Date.now() });
    this.logger.info({ shardId: lease.shardId, from }, from ? 'took a kinesis shard lease from another worker' : 'took a kinesis shard lease');
  }
}
