import { writeSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BatchSink } from '../batch-sink.js';
import type { SinkContext } from '../context.js';
import { defineComponent } from '../define.js';
import { SluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import { COMPRESSION_NAMES, createSerializer, SERIALIZER_NAMES, type CompressionName, type SerializerName } from '../serializers/create-serializer.js';
import type { EventSerializer } from '../serializers/event-serializer.js';
import { flumeSerializerName } from '../serializers/flume-serializer-name.js';
import { durationOption, parseDuration, parseSize, sizeOption, type Amount } from '../units.js';

/** Config of the `file_roll` sink. */
export interface FileRollSinkConfig {
  directory: string;
  rollInterval: Amount;
  rollSize: Amount;
  serializer: SerializerName;
  /** Optional for callers that build the config by hand; the schema defaults it to none. */
  compression?: CompressionName;
  batchSize: number;
  filePrefix: string;
  fileSuffix: string;
  fsync: boolean;
}

/**
 * Appends events to files in a local directory, starting a new file every rollInterval or when
 * the current one reaches rollSize. Files are named `<prefix><startMillis>-<n><suffix>`.
 */
export class FileRollSink extends BatchSink {
  private readonly serializer: EventSerializer;
  private readonly directory: string;
  private readonly rollIntervalMs: number;
  private readonly rollSizeBytes: number;
  private file: FileHandle | undefined;
  private fileBytes = 0;
  private fileOpenedAt = 0;
  private readonly startMillis = Date.now();
  private counter = 0;
  private rollTimer: NodeJS.Timeout | undefined;
  /** Serializes file I/O between batches and the roll timer. */
  private io: Promise<unknown> = Promise.resolve();

  constructor(private readonly config: FileRollSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.serializer = createSerializer(config.serializer, config.compression);
    this.directory = path.resolve(config.directory);
    this.rollIntervalMs = parseDuration(config.rollInterval, 's');
    this.rollSizeBytes = parseSize(config.rollSize);
  }

  protected override async onStart(): Promise<void> {
    try {
      await mkdir(this.directory, { recursive: true });
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `file_roll sink '${this.name}' cannot create directory ${this.directory}; check the path and permissions`, { cause });
    }
    if (this.rollIntervalMs > 0) {
      this.rollTimer = setInterval(() => {
        if (this.file && Date.now() - this.fileOpenedAt >= this.rollIntervalMs) {
          this.serial(() => this.closeFile()).catch((err) => this.ctx.logger.error({ err }, 'closing rolled file failed'));
        }
      }, Math.min(this.rollIntervalMs, 1000));
      this.rollTimer.unref();
    }
  }

  protected override async onStop(): Promise<void> {
    clearInterval(this.rollTimer);
    await this.serial(() => this.closeFile());
  }

  protected write(events: SluiceEvent[]): Promise<void> {
    return this.serial(() => this.append(events));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.io.then(work, work);
    this.io = result.catch(() => undefined);
    return result;
  }

  private async append(events: SluiceEvent[]): Promise<void> {
    const data = this.serializer.serialize(events);
    if (this.file && this.rollSizeBytes > 0 && this.fileBytes > 0 && this.fileBytes + data.length > this.rollSizeBytes) await this.closeFile();
    const file = this.file ?? (await this.openFile());
    writeAll(file, data);
    if (this.config.fsync) await file.datasync();
    this.fileBytes += data.length;
  }

  private async openFile(): Promise<FileHandle> {
    this.counter++;
    // With several workers each writes its own files: `<start>-<n>-w<index>`, never a shared one.
    const worker = this.ctx.worker ? `-w${this.ctx.worker.index}` : '';
    const name = `${this.config.filePrefix}${this.startMillis}-${this.counter}${worker}${this.config.fileSuffix}`;
    const file = await open(path.join(this.directory, name), 'a');
    this.file = file;
    this.fileBytes = 0;
    this.fileOpenedAt = Date.now();
    this.ctx.metrics.inc('ConnectionCreatedCount');
    const header = this.serializer.header?.();
    if (header) writeAll(file, header);
    return file;
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    if (!file) return;
    this.file = undefined;
    const footer = this.serializer.footer?.();
    if (footer) writeAll(file, footer);
    await file.close();
    this.ctx.metrics.inc('ConnectionClosedCount');
  }
}

/**
 * Appends `data` with write(2) on the event loop's thread: a batch lands in the page cache in
 * tens of microseconds, less than a hop to libuv's thread pool and back costs (and far less on
 * a busy machine, where the pool thread waits to be scheduled once per batch). Only fsync, which
 * waits for the disk, goes to the pool.
 */
function writeAll(file: FileHandle, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(file.fd, data, offset, data.length - offset);
}

export const fileRollSink = defineComponent<'sink', FileRollSinkConfig>({
  kind: 'sink',
  type: 'file_roll',
  description: 'Appends events to rolling files in a local directory.',
  guarantee: 'At-least-once: a batch is committed after it was written to the file (the OS page cache; with fsync: true, to disk). A crash between write and commit repeats the batch.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      directory: { type: 'string', minLength: 1, description: 'Directory for the files (created if missing); relative paths resolve against the working directory.' },
      rollInterval: durationOption('Start a new file after this long; 0 never rolls on time (Flume `sink.rollInterval`).', '30s', 's'),
      rollSize: sizeOption('Start a new file before it would exceed this size; 0 never rolls on size.', '0'),
      serializer: { type: 'string', enum: [...SERIALIZER_NAMES], default: 'text', description: 'Output format: text (body per line), header_and_text ({k=v} body per line), json (one object per line) or avro_event (Avro container of AvroFlumeEvent).' },
      compression: { type: 'string', nullable: true, enum: [...COMPRESSION_NAMES], default: 'none', description: 'gzip compresses each batch as one gzip member (zcat reads the file whole).' },
      batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Events taken and written per transaction.' },
      filePrefix: { type: 'string', default: '', description: 'Prefix of every file name.' },
      fileSuffix: { type: 'string', default: '', description: 'Suffix of every file name (e.g. .log).' },
      fsync: { type: 'boolean', default: false, description: 'fdatasync each batch before committing (survives power loss, slower).' },
    },
    required: ['directory', 'rollInterval', 'rollSize', 'serializer', 'batchSize', 'filePrefix', 'fileSuffix', 'fsync'],
  },
  resources: (config) => [{ id: `dir:${path.resolve(config.directory)}`, key: 'directory' }],
  flumeDefaults: { batchSize: 100 },
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'sink.directory') config.directory = value;
      else if (key === 'sink.rollInterval') config.rollInterval = `${value}s`;
      else if (key === 'sink.serializer') config.serializer = flumeSerializerName(value, key, flume);
      else if (key === 'sink.batchSize' || key === 'batchSize') config.batchSize = value;
      else if (key === 'sink.pathManager' || key.startsWith('sink.pathManager.')) flume?.warn(key, 'selects a Java PathManager class; Sluice names files <filePrefix><start>-<n><fileSuffix> (see filePrefix, fileSuffix)');
      else if (key.startsWith('sink.serializer.')) flume?.warn(key, 'configures a Java serializer; Sluice\'s serializers have no options');
      // Flume's file_roll reads only sink.* keys: a bare rollInterval or directory is ignored by Flume.
      else if (['directory', 'rollInterval', 'rollSize', 'serializer'].includes(key)) flume?.warn(key, `is not read by Flume's file_roll sink (it reads sink.${key}), so Flume ignores it; Sluice does too`, `write sink.${key} if you meant it`);
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new FileRollSink(config, ctx),
});
