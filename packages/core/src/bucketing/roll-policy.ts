import { durationOption, parseDuration, parseSize, sizeOption, type Amount } from '../units.js';

/** The `roll` block of the hdfs and s3 sink configs (human-readable units). */
export interface RollConfig {
  interval: Amount;
  size: Amount;
  count: number;
  idleTimeout: Amount;
}

/** What a sink tracks about one open file or object, so {@link RollPolicy} can judge it. */
export interface OpenBucketStats {
  /** Bytes written so far (after serialization and compression). */
  bytes: number;
  /** Events written so far. */
  events: number;
  /** When the file was opened (epoch ms). */
  openedAt: number;
  /** When the last batch was written (epoch ms). */
  lastWriteAt: number;
}

/**
 * Defaults chosen for real use, not Flume's 30 s / 1 KB / 10 events: a file per bucket every
 * 10 minutes or 128 MiB (an HDFS block), closed after 2 idle minutes.
 */
export const ROLL_DEFAULTS: Readonly<RollConfig> = Object.freeze({ interval: '10m', size: '128MiB', count: 0, idleTimeout: '2m' });

/** JSON Schema of the `roll` block, shared by the sinks that roll files or objects. */
export const ROLL_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description: 'When to close the current file/object of a bucket: whichever limit is reached first. 0 disables a limit.',
  default: { ...ROLL_DEFAULTS },
  properties: {
    interval: durationOption('Close a file this long after it was opened (Flume rollInterval); 0 never closes on time.', ROLL_DEFAULTS.interval as string, 's'),
    size: sizeOption('Close a file before a batch would make it exceed this size (Flume rollSize); 0 never closes on size.', ROLL_DEFAULTS.size as string),
    count: { type: 'integer', minimum: 0, default: ROLL_DEFAULTS.count, description: 'Close a file once it holds this many events (Flume rollCount); 0 = no limit.' },
    idleTimeout: durationOption('Close a file that received nothing for this long (Flume idleTimeout); 0 never.', ROLL_DEFAULTS.idleTimeout as string, 's'),
  },
  required: ['interval', 'size', 'count', 'idleTimeout'],
} as const;

/**
 * Decides when an open file/object is closed: on rollInterval, rollSize, rollCount or
 * idleTimeout, whichever comes first. Pure and clock-free so sinks and tests share it.
 */
export class RollPolicy {
  readonly intervalMs: number;
  readonly sizeBytes: number;
  readonly count: number;
  readonly idleMs: number;

  constructor(config: Partial<RollConfig> = {}) {
    const c = { ...ROLL_DEFAULTS, ...config };
    this.intervalMs = parseDuration(c.interval, 's');
    this.sizeBytes = parseSize(c.size);
    this.count = c.count;
    this.idleMs = parseDuration(c.idleTimeout, 's');
  }

  /** True when adding `bytes` more would push a non-empty file past the size limit. */
  fullBefore(file: OpenBucketStats, bytes: number): boolean {
    return this.sizeBytes > 0 && file.bytes > 0 && file.bytes + bytes > this.sizeBytes;
  }

  /** True when the file reached its size or count limit after a write. */
  full(file: OpenBucketStats): boolean {
    return (this.sizeBytes > 0 && file.bytes >= this.sizeBytes) || (this.count > 0 && file.events >= this.count);
  }

  /** True when the file is past its interval or idle timeout at `now`. */
  expired(file: OpenBucketStats, now: number): boolean {
    return (this.intervalMs > 0 && now - file.openedAt >= this.intervalMs) || (this.idleMs > 0 && now - file.lastWriteAt >= this.idleMs);
  }

  /** How often a sink should check for expired files: a tenth of the shortest timer, 50 ms to 1 s. */
  get checkEveryMs(): number {
    const timers = [this.intervalMs, this.idleMs].filter((ms) => ms > 0);
    if (timers.length === 0) return 0;
    return Math.max(50, Math.min(1000, Math.floor(Math.min(...timers) / 10)));
  }
}
