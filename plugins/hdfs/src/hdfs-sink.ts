import path from 'node:path';
import {
  BatchSink, BucketTemplate, type BucketingConfig, createSerializer, groupByBucket, OpenBuckets, RollPolicy, setAsideRejected, SluiceError,
  type EventSerializer, type OpenBucketStats, parseDuration, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { createHdfsSerializer, type HdfsFormatConfig } from './hdfs-serializer.js';
import { hdfsPathColonError } from './hdfs-path-colon.js';
import { OpenFileJournal } from './open-file-journal.js';
import { WebHdfsClient } from './webhdfs-client.js';

/** Config of the `hdfs` sink (see the schema in hdfs-sink-definition.ts for every default). */
export interface HdfsSinkConfig extends BucketingConfig, HdfsFormatConfig {
  url: string;
  path: string;
  filePrefix: string;
  fileSuffix: string;
  inUseSuffix: string;
  user: string;
  delegationToken: string;
  batchSize: number;
  requestTimeout: string;
  writeConcurrency: number;
}

interface OpenFile extends OpenBucketStats {
  tmpPath: string;
  finalPath: string;
  serializer: EventSerializer;
}

/**
 * Writes events into bucketed HDFS files over WebHDFS. Each open file is `<name><inUseSuffix>`
 * while written and renamed to `<name>` when it rolls; a batch is committed only after every
 * CREATE/APPEND carrying it was acknowledged by the datanode. At start, in-use files left by a
 * crash (recorded in a journal in the sink's data directory) are renamed, so none is orphaned.
 */
export class HdfsSink extends BatchSink {
  private readonly client: WebHdfsClient;
  private readonly template: BucketTemplate;
  private readonly policy: RollPolicy;
  private readonly open: OpenBuckets<OpenFile>;
  private readonly journal: OpenFileJournal;
  private readonly suffix: string;
  private readonly startMillis = Date.now();
  private counter = 0;
  private timer: NodeJS.Timeout | undefined;
  private io: Promise<unknown> = Promise.resolve();
  /** Files whose close failed after their data was committed; retried by the timer and at stop. */
  private readonly closing = new Set<OpenFile>();

  constructor(private readonly config: HdfsSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.client = new WebHdfsClient({ url: config.url, user: config.user, delegationToken: config.delegationToken, timeoutMs: parseDuration(config.requestTimeout) });
    this.template = new BucketTemplate(config.path, config);
    const colon = hdfsPathColonError(config.path);
    if (colon) throw new SluiceError('SLUICE_CONFIG_INVALID', `hdfs sink '${ctx.name}': ${colon}`);
    this.policy = new RollPolicy(config.roll);
    this.open = new OpenBuckets(config.maxOpenFiles);
    this.journal = new OpenFileJournal(ctx.dataDir);
    this.suffix = config.fileSuffix || `.${createHdfsSerializer(config).extension}`;
  }

  protected override async onStart(): Promise<void> {
    await this.recover();
    const every = this.policy.checkEveryMs;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.serial(() => this.closeExpired(Date.now())).catch((err: unknown) => {
          // Outside process(), so the runner does not see it: report it here.
          this.ctx.telemetry.emit('component.error', this.name, 0, 0, err);
          this.ctx.logger.warn({ err }, 'closing expired HDFS files failed; will retry');
        });
      }, every);
      this.timer.unref();
    }
  }

  protected override async onStop(): Promise<void> {
    clearInterval(this.timer);
    await this.serial(async () => {
      for (const [key, file] of this.open.entries()) {
        this.open.delete(key);
        this.closing.add(file);
      }
      await this.retryClosing();
    });
    if (this.closing.size > 0) this.ctx.logger.warn({ files: [...this.closing].map((f) => f.tmpPath) }, 'some HDFS files could not be closed; they are renamed at the next start');
  }

  protected write(events: SluiceEvent[]): Promise<void> {
    return this.serial(() => this.writeBatch(events));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.io.then(work, work);
    this.io = result.catch(() => undefined);
    return result;
  }

  private async writeBatch(events: SluiceEvent[]): Promise<void> {
    const now = Date.now();
    const { groups, rejected } = groupByBucket(this.template, events, now);
    const full: [string, OpenFile][] = [];
    // Buckets are independent files: write up to writeConcurrency of them at once.
    const queue = [...groups];
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next && !failure; next = queue.shift()) {
        try {
          const file = await this.writeGroup(next[0], next[1], now);
          if (this.policy.full(file)) full.push([next[0], file]);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.writeConcurrency, groups.size) }, worker));
    if (failure) throw failure.error;
    if (!await setAsideRejected(this.ctx, rejected)) {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `hdfs sink '${this.name}': ${rejected.length} event(s) it cannot place could not be moved to the dead-letter channel; the batch was rolled back and will be retried`);
    }
    // The batch is acknowledged; closes from here on must not fail it (they are retried).
    for (const [dir, file] of [...full, ...this.open.overflow(new Set(groups.keys()))]) {
      this.open.delete(dir);
      await this.closeOrDefer(file);
    }
    if (this.closing.size > 0) await this.retryClosing();
  }

  /** Writes one bucket's events: CREATE a new in-use file or APPEND to the open one (rolling first if due). */
  private async writeGroup(dir: string, group: SluiceEvent[], now: number): Promise<OpenFile> {
    let file = this.open.get(dir);
    let data = file ? file.serializer.serialize(group) : undefined;
    if (file && data && (this.policy.fullBefore(file, data.length) || this.policy.expired(file, now))) {
      this.open.delete(dir);
      await this.closeOrDefer(file);
      file = undefined;
    }
    if (!file) {
      file = await this.create(dir, group, now);
    } else {
      try {
        await this.client.append(file.tmpPath, data!);
      } catch (error) {
        // The file may be gone or its lease lost: forget it so the retry starts a fresh file.
        this.open.delete(dir);
        this.closing.add(file);
        this.ctx.metrics.inc('ConnectionFailedCount');
        throw error;
      }
      file.bytes += data!.length;
      file.events += group.length;
      file.lastWriteAt = now;
    }
    this.open.touch(dir, file);
    return file;
  }

  private async create(dir: string, group: SluiceEvent[], now: number): Promise<OpenFile> {
    const serializer = createHdfsSerializer(this.config);
    const header = serializer.header?.() ?? Buffer.alloc(0);
    const data = serializer.serialize(group);
    const body = header.length ? Buffer.concat([header, data]) : data;
    let finalPath = '';
    let tmpPath = '';
    // Another writer (an agent started in the same millisecond) may own the name: take the next one.
    for (let attempt = 1; ; attempt++) {
      finalPath = path.posix.join(dir, `${this.config.filePrefix}.${this.startMillis}-${++this.counter}${this.suffix}`);
      tmpPath = `${finalPath}${this.config.inUseSuffix}`;
      await this.journal.opened(tmpPath);
      try {
        await this.client.create(tmpPath, body);
        break;
      } catch (error) {
        await this.journal.closed(tmpPath);
        const exists = (error as SluiceError).details?.exception === 'FileAlreadyExistsException';
        if (exists && attempt < 5) continue;
        this.ctx.metrics.inc('ConnectionFailedCount');
        throw error;
      }
    }
    this.ctx.metrics.inc('ConnectionCreatedCount');
    return { tmpPath, finalPath, serializer, bytes: header.length + data.length, events: group.length, openedAt: now, lastWriteAt: now };
  }

  private async closeOrDefer(file: OpenFile): Promise<void> {
    try {
      await this.close(file);
    } catch (err) {
      this.closing.add(file);
      this.ctx.telemetry.emit('component.error', this.name, 0, 0, err);
      this.ctx.logger.warn({ err, file: file.tmpPath }, 'closing HDFS file failed; will retry');
    }
  }

  private async retryClosing(): Promise<void> {
    for (const file of [...this.closing]) {
      try {
        await this.close(file);
        this.closing.delete(file);
      } catch (err) {
        this.ctx.logger.warn({ err, file: file.tmpPath }, 'closing HDFS file failed; will retry');
      }
    }
  }

  private async closeExpired(now: number): Promise<void> {
    for (const [dir, file] of this.open.entries()) {
      if (!this.policy.expired(file, now)) continue;
      this.open.delete(dir);
      await this.closeOrDefer(file);
    }
    if (this.closing.size > 0) await this.retryClosing();
  }

  /** Writes the footer (if any) and renames the in-use file to its final name. */
  private async close(file: OpenFile): Promise<void> {
    const footer = file.serializer.footer?.();
    if (footer && footer.length > 0) {
      await this.client.append(file.tmpPath, footer);
      // The footer is written: a retried close (after a failed RENAME) must not append it again.
      file.serializer = createSerializer('text');
    }
    await this.finish(file.tmpPath, file.finalPath);
    this.ctx.metrics.inc('ConnectionClosedCount');
  }

  /** Renames tmp to final, picking a fresh final name if one exists; a missing tmp means done. */
  private async finish(tmpPath: string, finalPath: string): Promise<void> {
    if (!(await this.client.rename(tmpPath, finalPath))) {
      if (!(await this.client.status(tmpPath))) {
        await this.journal.closed(tmpPath);
        return;
      }
      const alternative = `${finalPath}.${Date.now()}`;
      if (!(await this.client.rename(tmpPath, alternative))) {
        throw new SluiceError('SLUICE_DELIVERY_FAILED', `hdfs sink '${this.name}' could not rename ${tmpPath} to ${finalPath} or ${alternative}; check the directory permissions`);
      }
    }
    await this.journal.closed(tmpPath);
  }

  /** Renames in-use files a previous run left open. */
  private async recover(): Promise<void> {
    let leftovers: string[];
    try {
      leftovers = await this.journal.openFiles();
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `hdfs sink '${this.name}' cannot read its journal in ${this.ctx.dataDir}; check the permissions`, { cause });
    }
    const failed: string[] = [];
    for (const tmpPath of leftovers) {
      const finalPath = tmpPath.endsWith(this.config.inUseSuffix) && this.config.inUseSuffix ? tmpPath.slice(0, -this.config.inUseSuffix.length) : `${tmpPath}.closed`;
      try {
        await this.finish(tmpPath, finalPath);
        this.ctx.logger.info({ file: finalPath }, 'recovered an in-use HDFS file left by a previous run');
      } catch (err) {
        failed.push(tmpPath);
        this.ctx.logger.warn({ err, file: tmpPath }, 'could not recover an in-use HDFS file; will retry at the next start');
      }
    }
    await this.journal.reset(failed);
  }
}
