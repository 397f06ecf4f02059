import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import './aws-sdk-notice.js';
import { S3Client } from '@aws-sdk/client-s3';
import {
  awsClientConfig, type AwsSettings, groupByBucket, moveToDeadLetter, setAsideRejected, batchBytes, BucketTemplate, type BucketingConfig, isRetriable, createSerializer, OpenBuckets, parseSize, RollPolicy, SluiceError,
  type CompressionName, type EventSerializer, type OpenBucketStats, type SerializerName,
  type Sink, type SinkContext, type SluiceEvent, type Status, type Transaction,
  takeSinkBatch,
} from '@sluice/core';
import { uploadStagedObject } from './object-uploader.js';

/** Config of the `s3` sink (see s3-sink-definition.ts for every default). */
export interface S3SinkConfig extends BucketingConfig, AwsSettings {
  bucket: string;
  key: string;
  filePrefix: string;
  fileSuffix: string;
  forcePathStyle: boolean;
  serializer: SerializerName;
  compression: CompressionName;
  batchSize: number;
  multipartThreshold: string;
  partSize: string;
  maxWaitingEvents: number;
}

/** A channel transaction whose events wait in staged objects; committed when all are uploaded. */
interface PendingTx {
  tx: Transaction;
  /** The taken events (the channel holds them anyway until commit), for the dead-letter path. */
  batch: SluiceEvent[];
  events: number;
  bytes: number;
  /** Staged objects holding some of its events and not yet uploaded. */
  refs: number;
}

interface StagedObject extends OpenBucketStats {
  /** The rendered key template: the open-objects map key. */
  prefix: string;
  key: string;
  file: string;
  handle: FileHandle;
  serializer: EventSerializer;
  txs: Set<PendingTx>;
}

/**
 * Writes events into S3 objects, one open object per rendered key prefix. Each object is built
 * in a local staging file and uploaded (PutObject, or multipart above multipartThreshold) when
 * it rolls. The channel transactions that delivered its events stay open until the upload
 * succeeded and are committed then; if an upload fails, every open transaction is rolled back
 * and the staged objects are discarded, so the events are taken and sent again (at-least-once,
 * duplicates possible). A crash leaves the transactions uncommitted, so a durable channel
 * re-delivers them; staging files from a previous run are deleted at start.
 *
 * Because waiting events still occupy the channel (and its memory), objects are also uploaded
 * early when the events waiting for upload reach `maxWaitingEvents` or half of the channel's
 * capacity, whichever is lower.
 *
 * Non-retriable failures (4xx, an event the key template cannot place) follow the dead-letter
 * policy of the context (`deadLetter: { channel, after }`), as BatchSink does: the `after`-th
 * in a row moves the waiting transactions' events to the dead-letter channel and commits them.
 */
export class S3Sink implements Sink {
  readonly name: string;
  /** Created at start and destroyed at stop, so a stopped sink can start again. */
  private client!: S3Client;
  private readonly template: BucketTemplate;
  private readonly policy: RollPolicy;
  private readonly open: OpenBuckets<StagedObject>;
  private readonly stagingDir: string;
  private readonly suffix: string;
  private readonly contentType: string;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly pendingLimit: number;
  private readonly startMillis = Date.now();
  /** PutObject overwrites silently: a random token keeps two agents started in the same ms apart. */
  private readonly token = randomBytes(3).toString('hex');
  private counter = 0;
  private pendingEvents = 0;
  private readonly pending: PendingTx[] = [];
  /** Objects taken out of the open map whose upload failed; deleted by failAll. */
  private readonly discardLater: StagedObject[] = [];
  private started = false;
  /** Consecutive non-retriable failures, for the dead-letter policy's `after`. */
  private rejectedInARow = 0;
  private timer: NodeJS.Timeout | undefined;
  private io: Promise<unknown> = Promise.resolve();

  constructor(private readonly config: S3SinkConfig, private readonly ctx: SinkContext) {
    this.name = ctx.name;
    this.template = new BucketTemplate(config.key, config);
    this.policy = new RollPolicy(config.roll);
    this.open = new OpenBuckets(config.maxOpenFiles);
    this.stagingDir = path.join(ctx.dataDir, 'staging');
    const serializer = createSerializer(config.serializer, config.compression);
    this.suffix = config.fileSuffix || `.${serializer.extension}`;
    // A gzip object is a .gz file, not a transfer encoding: no Content-Encoding, so HTTP clients
    // hand out the compressed bytes and tools that go by extension (zcat, Spark, Athena) decompress.
    this.contentType = config.compression === 'gzip' ? 'application/gzip'
      : config.serializer === 'avro_event' ? 'avro/binary' : config.serializer === 'json' ? 'application/x-ndjson' : 'text/plain';
    this.multipartThreshold = parseSize(config.multipartThreshold);
    this.partSize = Math.max(5 * 1024 * 1024, parseSize(config.partSize));
    const capacity = (ctx.channel as { capacity?: unknown }).capacity;
    const half = typeof capacity === 'number' && capacity > 0 ? Math.floor(capacity / 2) : Number.POSITIVE_INFINITY;
    this.pendingLimit = Math.max(config.batchSize, Math.min(half, config.maxWaitingEvents));
  }

  async start(): Promise<void> {
    if (this.started) return;
    try {
      // Staged data of a previous run was never committed: the channel still holds those events.
      await rm(this.stagingDir, { recursive: true, force: true });
      await mkdir(this.stagingDir, { recursive: true });
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `s3 sink '${this.name}' cannot prepare its staging directory ${this.stagingDir}; check the agent dataDir permissions`, { cause });
    }
    this.client = new S3Client({
      ...awsClientConfig(this.config),
      forcePathStyle: this.config.forcePathStyle,
      // S3-compatible stores often reject the newer default checksums; send them only when required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const every = this.policy.checkEveryMs;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.serial(() => this.uploadWhere((o) => this.policy.expired(o, Date.now()))).catch((err: unknown) => {
          // Outside process(), so the runner does not see it: report it here.
          this.ctx.telemetry.emit('component.error', this.name, 0, 0, err);
          this.ctx.logger.warn({ err }, 'uploading rolled S3 objects failed; their events were rolled back and will be retried');
        });
      }, every);
      this.timer.unref();
    }
    this.started = true;
    this.ctx.metrics.startTime = Date.now();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.timer);
    try {
      await this.serial(() => this.uploadWhere(() => true));
    } catch (err) {
      this.ctx.logger.warn({ err }, 'uploading S3 objects at stop failed; their events were rolled back to the channel');
    } finally {
      this.client.destroy();
      this.ctx.metrics.stopTime = Date.now();
    }
  }

  process(): Promise<Status> {
    return this.serial(() => this.processBatch());
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.io.then(work, work);
    this.io = result.catch(() => undefined);
    return result;
  }

  private async processBatch(): Promise<Status> {
    const { metrics } = this.ctx;
    const tx = this.ctx.channel.transaction();
    const events = await takeSinkBatch(this.ctx, tx, this.config.batchSize);
    if (!events) return 'backoff';
    const now = Date.now();
    // Events the key template cannot place (no usable timestamp) are set aside; the rest moves on.
    const { groups, rejected } = groupByBucket(this.template, events, now);
    if (!await setAsideRejected(this.ctx, rejected)) {
      metrics.counters.EventWriteFail! += 1;
      await tx.rollback();
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `s3 sink '${this.name}': ${rejected.length} event(s) it cannot place could not be moved to the dead-letter channel; the batch was rolled back and will be retried`);
    }
    const pendingTx: PendingTx = { tx, batch: events, events: events.length, bytes: batchBytes(events), refs: 0 };
    this.pending.push(pendingTx);
    this.pendingEvents += events.length;
    if (groups.size === 0) {
      // Every event was set aside: nothing waits for an upload.
      await this.commit(pendingTx);
      return 'ready';
    }
    try {
      await this.stage(groups, pendingTx, now);
      if (this.pendingEvents >= this.pendingLimit) await this.uploadWhere(() => true);
    } catch (error) {
      if (await this.failAll(error)) return 'ready';
      throw error;
    }
    return 'ready';
  }

  /** Appends the batch to the staged objects of its buckets; uploads those that are full. */
  private async stage(groups: Map<string, SluiceEvent[]>, pendingTx: PendingTx, now: number): Promise<void> {
    const ready: StagedObject[] = [];
    for (const [prefix, group] of groups) {
      let object = this.open.get(prefix);
      let data = object?.serializer.serialize(group);
      if (object && data && (this.policy.fullBefore(object, data.length) || this.policy.expired(object, now))) {
        this.open.delete(prefix);
        await this.upload(object);
        object = undefined;
      }
      if (!object) {
        object = await this.createObject(prefix, now);
        data = object.serializer.serialize(group);
      }
      await writeAll(object.handle, data!);
      object.bytes += data!.length;
      object.events += group.length;
      object.lastWriteAt = now;
      if (!object.txs.has(pendingTx)) {
        object.txs.add(pendingTx);
        pendingTx.refs++;
      }
      this.open.touch(prefix, object);
      if (this.policy.full(object)) ready.push(object);
    }
    for (const object of ready) {
      this.open.delete(object.prefix);
      await this.upload(object);
    }
    for (const [prefix, object] of this.open.overflow(new Set(groups.keys()))) {
      this.open.delete(prefix);
      await this.upload(object);
    }
  }

  private async createObject(prefix: string, now: number): Promise<StagedObject> {
    const n = ++this.counter;
    const name = `${this.config.filePrefix}.${this.startMillis}-${this.token}-${n}${this.suffix}`;
    const key = prefix === '' || prefix.endsWith('/') ? `${prefix}${name}` : `${prefix}/${name}`;
    const file = path.join(this.stagingDir, `${n}.part`);
    const handle = await open(file, 'w');
    const serializer = createSerializer(this.config.serializer, this.config.compression);
    const object: StagedObject = { prefix, key, file, handle, serializer, txs: new Set(), bytes: 0, events: 0, openedAt: now, lastWriteAt: now };
    const header = serializer.header?.();
    if (header && header.length > 0) {
      await writeAll(handle, header);
      object.bytes += header.length;
    }
    this.ctx.metrics.inc('ConnectionCreatedCount');
    return object;
  }

  /** Uploads the staged objects matching `which`; on failure rolls everything back and throws. */
  private async uploadWhere(which: (o: StagedObject) => boolean): Promise<void> {
    try {
      for (const [prefix, object] of this.open.entries()) {
        if (!which(object)) continue;
        this.open.delete(prefix);
        await this.upload(object);
      }
    } catch (error) {
      if (await this.failAll(error)) return;
      throw error;
    }
  }

  /** Closes, uploads and deletes one staged object, then commits the transactions it completes. */
  private async upload(object: StagedObject): Promise<void> {
    const footer = object.serializer.footer?.();
    if (footer && footer.length > 0) {
      await writeAll(object.handle, footer);
      object.bytes += footer.length;
    }
    await object.handle.close();
    try {
      await uploadStagedObject(this.client, {
        bucket: this.config.bucket, key: object.key, file: object.file, size: object.bytes,
        multipartThreshold: this.multipartThreshold, partSize: this.partSize, contentType: this.contentType,
      });
    } catch (error) {
      this.ctx.metrics.inc('ConnectionFailedCount');
      this.discardLater.push(object);
      throw error;
    }
    this.ctx.metrics.inc('ConnectionClosedCount');
    this.rejectedInARow = 0;
    await rm(object.file, { force: true });
    for (const pendingTx of object.txs) {
      if (--pendingTx.refs === 0) await this.commit(pendingTx);
    }
  }

  private async commit(pendingTx: PendingTx): Promise<void> {
    this.pending.splice(this.pending.indexOf(pendingTx), 1);
    this.pendingEvents -= pendingTx.events;
    await pendingTx.tx.commit();
    this.ctx.metrics.counters.EventDrainSuccessCount! += pendingTx.events;
    const { telemetry } = this.ctx;
    if (telemetry.observed) telemetry.emit('sink.events_sent', this.name, pendingTx.events, pendingTx.bytes);
  }

  /**
   * Discards every staged object and settles every waiting transaction (see {@link settleFailed}).
   * True when they all went to the dead-letter channel, so the failure needs no backoff.
   */
  private async failAll(error: unknown): Promise<boolean> {
    this.ctx.metrics.counters.EventWriteFail! += 1;
    const objects = [...this.open.entries().map(([, o]) => o), ...this.discardLater.splice(0)];
    for (const [prefix] of this.open.entries()) this.open.delete(prefix);
    for (const object of objects) {
      await object.handle.close().catch(() => undefined);
      await rm(object.file, { force: true }).catch(() => undefined);
    }
    const txs = this.pending.splice(0);
    this.pendingEvents = 0;
    return this.settleFailed(txs, error);
  }

  /**
   * After a failure: moves the transactions' events to the dead-letter channel (oldest first, then
   * commits each) when the error is not retriable and happened `after` times in a row; otherwise,
   * or for any transaction the dead-letter channel refused, rolls back newest first so the events
   * return to the head of the channel in their order. True when every one was dead-lettered.
   */
  private async settleFailed(txs: PendingTx[], error: unknown): Promise<boolean> {
    const target = this.ctx.deadLetter;
    let deadLettered = 0;
    if (target && !isRetriable(error) && ++this.rejectedInARow >= target.after) {
      for (const pendingTx of txs) {
        if (!(await moveToDeadLetter(target, this.name, pendingTx.batch, error, this.ctx.logger))) break;
        await pendingTx.tx.commit();
        this.ctx.metrics.counters.EventDeadLetterCount! += pendingTx.events;
        deadLettered++;
      }
      if (deadLettered > 0) {
        this.rejectedInARow = 0;
        this.ctx.logger.warn({ count: txs.slice(0, deadLettered).reduce((n, t) => n + t.events, 0), deadLetterChannel: target.name, code: (error as { code?: string }).code, err: error }, 'moved rejected events to the dead-letter channel');
      }
    } else if (isRetriable(error)) {
      this.rejectedInARow = 0;
    }
    for (const pendingTx of txs.slice(deadLettered).reverse()) {
      await pendingTx.tx.rollback().catch((err) => this.ctx.logger.error({ err }, 'rollback failed'));
    }
    return deadLettered === txs.length;
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}
