import path from 'node:path';
import type { KinesisClient, Shard, _Record } from '@aws-sdk/client-kinesis';
import {
  Backoff, describeAwsTarget, isRetriable, parseDuration, Sleeper, SluiceError, type AwsSettings, type EventDrivenSource, type SluiceEvent, type SourceContext,
} from '@sluice/core';
import { createKinesisClient } from './aws-clients.js';
import { awsErrorName, toSluiceError } from './kinesis-errors.js';
import { deaggregate, isAggregated } from './kpl-aggregation.js';
import { LeaseCoordinator } from './lease-coordinator.js';
import { defaultWorkerId, DynamoLeaseTable, LeaseLostError } from './lease-table.js';
import { LocalCheckpointStore, type CheckpointStore, type ShardCheckpoint } from './shard-checkpoint-store.js';
import { closedShardsToSkip, shardsToStart, type InitialPosition, type StartPosition } from './shard-lineage.js';

/** Config of the `kinesis` source (see kinesis-source-definition.ts for every default). */
export interface KinesisSourceConfig extends AwsSettings {
  streamName: string;
  initialPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  initialTimestamp: string;
  batchSize: number;
  pollInterval: string;
  shardSyncInterval: string;
  checkpointDir: string;
  leaseTable: string;
  leaseTableEndpoint: string;
  leaseDuration: string;
  workerId: string;
  maxBackoff: string;
}

/** GetRecords returns at most this many records per call. */
const GET_RECORDS_LIMIT = 10000;
/** Kinesis allows 5 GetRecords calls per second per shard. */
const MIN_READ_GAP_MS = 200;

/** One event with the Kinesis record it came from, for checkpointing. */
interface Pending {
  event: SluiceEvent;
  sequenceNumber: string;
  /** Index of a de-aggregated user record; undefined for a plain record. */
  subSequenceNumber: number | undefined;
  /** True for the last event of its Kinesis record. */
  lastOfRecord: boolean;
}

/**
 * Reads every shard of a Kinesis data stream and delivers its records, one async reader per
 * shard. Shards are found with ListShards at start and every `shardSyncInterval` (and as soon
 * as a shard ends), and resharding is followed: a child shard is read only once its parents are
 * read to their end (see {@link shardsToStart}), so a partition key's records come out in order.
 *
 * A shard's checkpoint (its last delivered sequence number) is saved only after `ctx.deliver`
 * resolved, that is after every required channel committed the events; a refused delivery is
 * retried with backoff and never skipped. After a crash or restart reading resumes after the
 * checkpoint: at-least-once, the events of an uncheckpointed batch may come again. KPL aggregated
 * records are de-aggregated; a checkpoint can point inside one (sub-sequence number), so a
 * restart does not repeat the user records already delivered.
 *
 * Each event carries the headers `sequenceNumber`, `shardId`, `partitionKey`, `timestamp`
 * (approximate arrival time, epoch milliseconds) and, for a de-aggregated user record,
 * `subSequenceNumber`.
 */
export class KinesisSource implements EventDrivenSource {
  readonly name: string;
  private client: KinesisClient | undefined;
  private sdk: typeof import('@aws-sdk/client-kinesis') | undefined;
  /** Local checkpoints (no leaseTable). */
  private store: CheckpointStore | undefined;
  /** Shared leases and checkpoints (leaseTable set). */
  private leases: LeaseCoordinator | undefined;
  private leaseTable: DynamoLeaseTable | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private checkpoints = new Map<string, ShardCheckpoint>();
  private readonly readers = new Map<string, Promise<void>>();
  private readonly sleepers = new Set<Sleeper>();
  private readonly syncSleeper = new Sleeper();
  private coordinator: Promise<void> | undefined;
  private running = false;
  /** True once a ListShards succeeded in this run (the LATEST skip applies only before). */
  private listed = false;
  private readonly initial: InitialPosition;
  private readonly pollIntervalMs: number;
  private readonly syncIntervalMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly config: KinesisSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.initial = config.initialPosition === 'AT_TIMESTAMP'
      ? { type: 'AT_TIMESTAMP', timestamp: parseTimestamp(config.initialTimestamp) }
      : { type: config.initialPosition };
    this.pollIntervalMs = parseDuration(config.pollInterval);
    this.syncIntervalMs = Math.max(100, parseDuration(config.shardSyncInterval));
    this.maxBackoffMs = Math.max(100, parseDuration(config.maxBackoff));
    ctx.metrics.gauge('KinesisShardsReading', () => this.readers.size);
  }

  /** Where the local checkpoints of this source live. */
  get checkpointDirectory(): string {
    const base = this.config.checkpointDir === '' ? this.ctx.dataDir : path.resolve(this.config.checkpointDir);
    return path.join(base, this.config.streamName);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.sdk = await import('@aws-sdk/client-kinesis');
    this.client = await createKinesisClient(this.config);
    this.checkpoints = new Map();
    this.listed = false;
    if (this.config.leaseTable === '') {
      this.store = new LocalCheckpointStore(this.checkpointDirectory);
      for (const [shard, checkpoint] of await this.store.load()) this.checkpoints.set(shard, checkpoint);
    } else {
      const leaseMs = parseDuration(this.config.leaseDuration);
      this.leaseTable = new DynamoLeaseTable({ ...this.config, endpoint: this.config.leaseTableEndpoint }, this.config.leaseTable, this.config.workerId || defaultWorkerId(), this.ctx.logger);
      try {
        await this.leaseTable.open();
      } catch (error) {
        this.client.destroy();
        this.leaseTable.close();
        const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
        throw new SluiceError('SLUICE_COMPONENT_START', `kinesis source '${this.name}' cannot open lease table '${this.config.leaseTable}' (${describeAwsTarget({ ...this.config, endpoint: this.config.leaseTableEndpoint })}): ${reason}`, { cause: error });
      }
      this.leases = new LeaseCoordinator(this.leaseTable, leaseMs, this.ctx.logger);
      this.renewTimer = setInterval(() => {
        this.leases?.renew().then((lost) => { for (const sleeper of lost.length ? this.sleepers : []) sleeper.wake(); }, (err: unknown) => this.ctx.logger.warn({ err }, 'renewing kinesis shard leases failed; they expire unless the next renewal works'));
      }, Math.max(50, Math.floor(leaseMs / 3)));
      this.renewTimer.unref();
    }
    this.running = true;
    this.ctx.metrics.startTime = Date.now();
    try {
      await this.sync();
    } catch (error) {
      if (!isRetriable(error)) {
        await this.stop();
        const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
        throw new SluiceError('SLUICE_COMPONENT_START', `kinesis source '${this.name}' cannot read stream '${this.config.streamName}' (${describeAwsTarget(this.config)}): ${reason}`, { cause: error });
      }
      this.ctx.logger.warn({ err: error }, 'kinesis source cannot list the shards yet; it keeps trying');
    }
    this.coordinator = this.coordinate();
    this.ctx.logger.info({ stream: this.config.streamName, target: describeAwsTarget(this.config), checkpoints: this.checkpointDirectory }, 'kinesis source started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.syncSleeper.wake();
    for (const sleeper of this.sleepers) sleeper.wake();
    await this.coordinator;
    await Promise.all(this.readers.values());
    this.readers.clear();
    clearInterval(this.renewTimer);
    await this.leases?.releaseAll();
    this.leaseTable?.close();
    this.leases = undefined;
    await this.store?.close();
    this.client?.destroy();
    this.client = undefined;
    this.ctx.metrics.stopTime = Date.now();
  }

  /** Lists the shards every shardSyncInterval (sooner when a shard ends) and starts the ready ones. */
  private async coordinate(): Promise<void> {
    const backoff = new Backoff(this.syncIntervalMs, Math.max(this.syncIntervalMs, this.maxBackoffMs));
    while (this.running) {
      await this.syncSleeper.sleep(backoff.failures > 0 ? backoff.next() : this.syncIntervalMs);
      if (!this.running) break;
      try {
        await this.sync();
        backoff.reset();
      } catch (error) {
        backoff.next();
        this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
        this.ctx.logger.warn({ err: error }, 'kinesis source could not list or open shards; it retries');
      }
    }
  }

  private async sync(): Promise<void> {
    const shards = await this.listShards();
    if (this.leases) this.checkpoints = await this.leases.refresh();
    if (!this.listed && this.initial.type === 'LATEST' && this.checkpoints.size === 0) {
      for (const id of closedShardsToSkip(shards)) {
        if (this.leases) await this.leases.markSkipped(id);
        else await this.saveCheckpoint(id, { end: true, skipped: true });
      }
      if (this.leases) this.checkpoints = await this.leases.refresh();
    }
    this.listed = true;
    let ready = shardsToStart(shards, this.checkpoints, new Set(this.readers.keys()), this.initial);
    if (this.leases) {
      const mine = new Set(await this.leases.claim(ready.map((r) => r.shardId)));
      ready = ready.filter((r) => mine.has(r.shardId));
    }
    for (const { shardId, position } of ready) {
      if (!this.running) return;
      // The iterator is taken before start() resolves, so LATEST means "after start".
      const iterator = await this.iterator(shardId, position);
      this.ctx.logger.debug({ shardId, position: position.type }, 'reading shard');
      const reader = this.readShard(shardId, iterator, position).catch((error: unknown) => {
        if (error instanceof LeaseLostError) {
          this.ctx.logger.info({ shardId }, 'stopped reading a kinesis shard whose lease another worker took; its last batch may be read again there');
          return;
        }
        this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
        this.ctx.logger.error({ err: error, shardId }, 'kinesis shard reader stopped; the shard is opened again at the next shard sync');
      }).finally(() => {
        this.readers.delete(shardId);
        this.syncSleeper.wake();
      });
      this.readers.set(shardId, reader);
    }
  }

  private async listShards(): Promise<Shard[]> {
    const out: Shard[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client!.send(new this.sdk!.ListShardsCommand(token ? { NextToken: token } : { StreamName: this.config.streamName }));
        out.push(...(page.Shards ?? []));
        token = page.NextToken;
      } while (token);
    } catch (error) {
      throw toSluiceError(error, `ListShards of stream '${this.config.streamName}'`);
    }
    return out;
  }

  private async iterator(shardId: string, position: StartPosition): Promise<string | undefined> {
    const input = {
      StreamName: this.config.streamName, ShardId: shardId, ShardIteratorType: position.type,
      ...('sequenceNumber' in position ? { StartingSequenceNumber: position.sequenceNumber } : {}),
      ...(position.type === 'AT_TIMESTAMP' ? { Timestamp: position.timestamp } : {}),
    };
    try {
      return (await this.client!.send(new this.sdk!.GetShardIteratorCommand(input))).ShardIterator;
    } catch (error) {
      throw toSluiceError(error, `GetShardIterator of shard ${shardId} in stream '${this.config.streamName}'`);
    }
  }

  /** Reads one shard until it ends or the source stops. */
  private async readShard(shardId: string, first: string | undefined, position: StartPosition): Promise<void> {
    const sleeper = new Sleeper();
    this.sleepers.add(sleeper);
    const backoff = new Backoff(100, this.maxBackoffMs);
    let iterator = first;
    /** User records of this aggregated record at or below this index were delivered before. */
    let skipThrough = position.type === 'AT_SEQUENCE_NUMBER' ? { sequenceNumber: position.sequenceNumber, sub: position.subSequenceNumber ?? -1 } : undefined;
    try {
      while (this.running && this.mayRead(shardId)) {
        if (iterator === undefined) {
          await this.saveCheckpoint(shardId, { ...this.checkpoints.get(shardId), subSequenceNumber: undefined, end: true });
          this.ctx.logger.info({ shardId }, 'kinesis shard read to its end');
          return;
        }
        let page;
        const started = Date.now();
        try {
          page = await this.client!.send(new this.sdk!.GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(GET_RECORDS_LIMIT, this.config.batchSize) }));
          backoff.reset();
        } catch (error) {
          if (!this.running) return;
          if (awsErrorName(error) === 'ExpiredIteratorException') {
            iterator = await this.iterator(shardId, this.resumePosition(shardId, position));
            continue;
          }
          const failure = toSluiceError(error, `GetRecords of shard ${shardId} in stream '${this.config.streamName}'`);
          if (!failure.retriable) throw failure;
          this.ctx.metrics.inc('KinesisReadRetryCount');
          await sleeper.sleep(backoff.next());
          continue;
        }
        const records = page.Records ?? [];
        if (records.length > 0) {
          const pending = this.toEvents(records, shardId, skipThrough);
          skipThrough = undefined;
          if (!(await this.deliver(shardId, pending, sleeper))) return;
          this.ctx.metrics.inc('KinesisRecordsRead', records.length);
        }
        iterator = page.NextShardIterator;
        if (iterator !== undefined) {
          const caughtUp = records.length === 0 || (page.MillisBehindLatest ?? 0) === 0;
          await sleeper.sleep(Math.max(caughtUp ? this.pollIntervalMs : 0, MIN_READ_GAP_MS - (Date.now() - started)));
        }
      }
    } finally {
      this.sleepers.delete(sleeper);
    }
  }

  /** False once another worker took the shard's lease. */
  private mayRead(shardId: string): boolean {
    return !this.leases || this.leases.holds(shardId);
  }

  /** After an expired iterator: right after what was delivered, or where the reader began. */
  private resumePosition(shardId: string, initial: StartPosition): StartPosition {
    const checkpoint = this.checkpoints.get(shardId);
    if (checkpoint?.sequenceNumber === undefined) return initial;
    return checkpoint.subSequenceNumber === undefined
      ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequenceNumber }
      : { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequenceNumber, subSequenceNumber: checkpoint.subSequenceNumber };
  }

  private toEvents(records: _Record[], shardId: string, skipThrough: { sequenceNumber: string; sub: number } | undefined): Pending[] {
    const out: Pending[] = [];
    for (const record of records) {
      const sequenceNumber = record.SequenceNumber!;
      const raw = record.Data ?? new Uint8Array();
      // A view, not a copy, of the bytes the SDK decoded.
      const data = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const headers = {
        sequenceNumber, shardId, partitionKey: record.PartitionKey ?? '',
        timestamp: String(record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()),
      };
      let users: { partitionKey: string; data: Buffer }[] | undefined;
      if (isAggregated(data)) {
        try {
          users = deaggregate(data);
        } catch (error) {
          // As the KCL does: a record that only looks aggregated is handed through whole.
          this.ctx.logger.warn({ err: error, shardId, sequenceNumber }, 'record starts with the KPL magic but does not de-aggregate; delivered as is');
        }
      }
      if (!users) {
        out.push({ event: { headers, body: data }, sequenceNumber, subSequenceNumber: undefined, lastOfRecord: true });
        continue;
      }
      const skip = skipThrough?.sequenceNumber === sequenceNumber ? skipThrough.sub : -1;
      users.forEach((user, i) => {
        if (i <= skip) return;
        out.push({
          event: { headers: { ...headers, partitionKey: user.partitionKey, subSequenceNumber: String(i) }, body: user.data },
          sequenceNumber, subSequenceNumber: i, lastOfRecord: i === users!.length - 1,
        });
      });
    }
    return out;
  }

  /**
   * Delivers the events in chunks of at most batchSize and saves the checkpoint after each. A
   * refused chunk is retried with backoff and halved each time (down to one event), so a batch
   * larger than the channel's room still gets through; it grows back after successes. False when
   * the source stopped before everything was delivered (nothing undelivered is checkpointed).
   */
  private async deliver(shardId: string, pending: Pending[], sleeper: Sleeper): Promise<boolean> {
    const backoff = new Backoff(50, this.maxBackoffMs);
    let size = this.config.batchSize;
    let start = 0;
    while (start < pending.length) {
      if (!this.running || !this.mayRead(shardId)) return false;
      const chunk = pending.slice(start, start + size);
      try {
        await this.ctx.deliver(chunk.map((p) => p.event));
      } catch (error) {
        this.ctx.metrics.inc('KinesisDeliverRetryCount');
        this.ctx.logger.debug({ err: error, shardId }, 'channel refused a kinesis batch; retrying it');
        size = Math.max(1, Math.floor(size / 2));
        await sleeper.sleep(backoff.next());
        continue;
      }
      backoff.reset();
      start += chunk.length;
      size = Math.min(this.config.batchSize, size * 2);
      const last = chunk[chunk.length - 1]!;
      await this.saveCheckpoint(shardId, last.lastOfRecord
        ? { sequenceNumber: last.sequenceNumber }
        : { sequenceNumber: last.sequenceNumber, subSequenceNumber: last.subSequenceNumber! });
    }
    return true;
  }

  private async saveCheckpoint(shardId: string, checkpoint: ShardCheckpoint): Promise<void> {
    const clean = JSON.parse(JSON.stringify(checkpoint)) as ShardCheckpoint;
    if (this.leases) await this.leases.checkpoint(shardId, clean);
    else await this.store!.save(shardId, clean);
    this.checkpoints.set(shardId, clean);
  }
}

/** An ISO 8601 date or epoch milliseconds, for AT_TIMESTAMP. */
export function parseTimestamp(text: string): Date {
  const date = /^\d+$/.test(text) ? new Date(Number(text)) : new Date(text);
  if (text === '' || Number.isNaN(date.getTime())) throw new SluiceError('SLUICE_CONFIG_INVALID', `initialTimestamp '${text}' is not an ISO 8601 date or epoch milliseconds`);
  return date;
}
