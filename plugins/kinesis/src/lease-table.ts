import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, SluiceError, type AwsSettings, type Logger } from '@sluice/core';
import { awsErrorName, toSluiceError } from './kinesis-errors.js';
import type { ShardCheckpoint } from './shard-checkpoint-store.js';

/** One row of the lease table: a shard, who reads it, and how far it was read. */
export interface ShardLease {
  shardId: string;
  owner: string | undefined;
  /** Bumped by every renewal and every change of owner; a lease whose counter stops moving is expired. */
  counter: number;
  checkpoint: ShardCheckpoint;
}

/** A lease this worker held was taken by another worker (or expired); the reader must stop. */
export class LeaseLostError extends Error {
  constructor(readonly shardId: string) {
    super(`the lease of shard ${shardId} is held by another worker now`);
  }
}

/** `checkpoint` value of a shard read to its end, as the KCL writes it. */
const SHARD_END = 'SHARD_END';

/**
 * The KCL-style lease table in DynamoDB that lets several agents share one stream's shards: one
 * item per shard (`leaseKey` = shard id) with `leaseOwner`, `leaseCounter`, `checkpoint`
 * (sequence number or SHARD_END) and `checkpointSubSequenceNumber`. Every change is a
 * conditional write, so two workers never both believe they own a shard: taking a lease needs the
 * counter the taker saw, renewing and checkpointing need the owner to still be this worker.
 * The item layout follows the KCL's names but the table is for Sluice agents only.
 *
 * Used by {@link LeaseCoordinator}; it creates the table (on-demand billing) when missing.
 */
export class DynamoLeaseTable {
  private client: DynamoDBClient | undefined;
  private sdk: typeof import('@aws-sdk/client-dynamodb') | undefined;

  constructor(private readonly settings: AwsSettings, readonly table: string, readonly workerId: string, private readonly logger: Logger) {}

  async open(): Promise<void> {
    this.sdk = await import('@aws-sdk/client-dynamodb');
    const options: Record<string, unknown> = { ...awsClientConfig(this.settings) };
    this.client = new this.sdk.DynamoDBClient(options);
    const { CreateTableCommand, DescribeTableCommand } = this.sdk;
    try {
      await this.client.send(new CreateTableCommand({
        TableName: this.table, BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      }));
      this.logger.info({ leaseTable: this.table }, 'created the kinesis lease table');
    } catch (error) {
      if (awsErrorName(error) !== 'ResourceInUseException') throw toSluiceError(error, `CreateTable of lease table '${this.table}'`);
    }
    for (let i = 0; i < 300; i++) {
      const status = (await this.client.send(new DescribeTableCommand({ TableName: this.table }))).Table?.TableStatus;
      if (status === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new SluiceError('SLUICE_TIMEOUT', `lease table '${this.table}' did not become ACTIVE within a minute`);
  }

  close(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  /** Every lease, read consistently. */
  async scan(): Promise<Map<string, ShardLease>> {
    const out = new Map<string, ShardLease>();
    let start: Record<string, AttributeValue> | undefined;
    try {
      do {
        const page = await this.client!.send(new this.sdk!.ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) {
          const lease = fromItem(item);
          out.set(lease.shardId, lease);
        }
        start = page.LastEvaluatedKey;
      } while (start);
    } catch (error) {
      throw toSluiceError(error, `Scan of lease table '${this.table}'`);
    }
    return out;
  }

  /** Creates the lease of a shard nobody leased yet, owned by this worker; false if one exists. */
  async create(shardId: string, checkpoint: ShardCheckpoint = {}): Promise<ShardLease | undefined> {
    const lease: ShardLease = { shardId, owner: checkpoint.end ? undefined : this.workerId, counter: 1, checkpoint };
    return this.conditional(() => this.client!.send(new this.sdk!.PutItemCommand({
      TableName: this.table, Item: toItem(lease), ConditionExpression: 'attribute_not_exists(leaseKey)',
    })), lease, `create the lease of shard ${shardId}`);
  }

  /** Takes a lease whose counter is still `seen.counter` (expired, released, or stolen on purpose). */
  async take(seen: ShardLease): Promise<ShardLease | undefined> {
    const lease: ShardLease = { ...seen, owner: this.workerId, counter: seen.counter + 1 };
    return this.conditional(() => this.client!.send(new this.sdk!.UpdateItemCommand({
      TableName: this.table, Key: { leaseKey: { S: seen.shardId } },
      UpdateExpression: 'SET leaseOwner = :me, leaseCounter = :next',
      ConditionExpression: 'leaseCounter = :seen',
      ExpressionAttributeValues: { ':me': { S: this.workerId }, ':next': { N: String(lease.counter) }, ':seen': { N: String(seen.counter) } },
    })), lease, `take the lease of shard ${seen.shardId}`);
  }

  /** Bumps the counter of a lease this worker holds at `counter`; the new counter, or undefined if lost. */
  async renew(shardId: string, counter: number): Promise<number | undefined> {
    const done = await this.conditional(() => this.client!.send(new this.sdk!.UpdateItemCommand({
      TableName: this.table, Key: { leaseKey: { S: shardId } },
      UpdateExpression: 'SET leaseCounter = :next',
      ConditionExpression: 'leaseOwner = :me AND leaseCounter = :counter',
      ExpressionAttributeValues: { ':me': { S: this.workerId }, ':next': { N: String(counter + 1) }, ':counter': { N: String(counter) } },
    })), counter + 1, `renew the lease of shard ${shardId}`);
    return done;
  }

  /**
   * Writes a shard's checkpoint if this worker still owns its lease (else throws
   * LeaseLostError). A checkpoint with `end` also gives the lease up, so finished shards do not
   * count as work when leases are balanced.
   */
  async checkpoint(shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    const values: Record<string, AttributeValue> = { ':me': { S: this.workerId } };
    let update: string;
    if (checkpoint.end) {
      update = 'SET #cp = :cp REMOVE checkpointSubSequenceNumber, leaseOwner';
      values[':cp'] = { S: SHARD_END };
    } else if (checkpoint.subSequenceNumber !== undefined) {
      update = 'SET #cp = :cp, checkpointSubSequenceNumber = :sub';
      values[':cp'] = { S: checkpoint.sequenceNumber! };
      values[':sub'] = { N: String(checkpoint.subSequenceNumber) };
    } else {
      update = 'SET #cp = :cp REMOVE checkpointSubSequenceNumber';
      values[':cp'] = { S: checkpoint.sequenceNumber! };
    }
    const done = await this.conditional(() => this.client!.send(new this.sdk!.UpdateItemCommand({
      TableName: this.table, Key: { leaseKey: { S: shardId } }, UpdateExpression: update,
      ConditionExpression: 'leaseOwner = :me', ExpressionAttributeNames: { '#cp': 'checkpoint' }, ExpressionAttributeValues: values,
    })), true, `checkpoint shard ${shardId}`);
    if (!done) throw new LeaseLostError(shardId);
  }

  /** Gives a lease up (graceful stop) so another worker takes it at once. */
  async release(shardId: string): Promise<void> {
    await this.conditional(() => this.client!.send(new this.sdk!.UpdateItemCommand({
      TableName: this.table, Key: { leaseKey: { S: shardId } }, UpdateExpression: 'REMOVE leaseOwner',
      ConditionExpression: 'leaseOwner = :me', ExpressionAttributeValues: { ':me': { S: this.workerId } },
    })), true, `release the lease of shard ${shardId}`);
  }

  /** Runs a conditional write: `result` when it applied, undefined when its condition failed. */
  private async conditional<T>(write: () => Promise<unknown>, result: T, what: string): Promise<T | undefined> {
    try {
      await write();
      return result;
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') return undefined;
      throw toSluiceError(error, `${what} in lease table '${this.table}'`);
    }
  }
}

/** A worker id unique across agents and restarts: host, process id and a random suffix. */
export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

function toItem(lease: ShardLease): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { leaseKey: { S: lease.shardId }, leaseCounter: { N: String(lease.counter) } };
  if (lease.owner !== undefined) item.leaseOwner = { S: lease.owner };
  const cp = lease.checkpoint;
  if (cp.end) item.checkpoint = { S: SHARD_END };
  else if (cp.sequenceNumber !== undefined) item.checkpoint = { S: cp.sequenceNumber };
  if (!cp.end && cp.subSequenceNumber !== undefined) item.checkpointSubSequenceNumber = { N: String(cp.subSequenceNumber) };
  if (cp.skipped) item.skipped = { BOOL: true };
  return item;
}

function fromItem(item: Record<string, AttributeValue>): ShardLease {
  const checkpoint: ShardCheckpoint = {};
  const value = item.checkpoint?.S;
  if (value === SHARD_END) checkpoint.end = true;
  else if (value !== undefined) checkpoint.sequenceNumber = value;
  if (item.checkpointSubSequenceNumber?.N !== undefined && !checkpoint.end) checkpoint.subSequenceNumber = Number(item.checkpointSubSequenceNumber.N);
  if (item.skipped?.BOOL) checkpoint.skipped = true;
  return { shardId: item.leaseKey!.S!, owner: item.leaseOwner?.S, counter: Number(item.leaseCounter?.N ?? 0), checkpoint };
}
