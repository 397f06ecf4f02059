import { randomUUID } from 'node:crypto';
import type { KinesisClient, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import {
  BatchSink, describeAwsTarget, setAsideRejected, parseDuration, parseSize, Sleeper, SluiceError, type AwsSettings, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { createKinesisClient } from './aws-clients.js';
import { HeaderTemplate } from './header-template.js';
import { RecordAggregator, type UserRecord } from './kpl-aggregation.js';
import { toSluiceError } from './kinesis-errors.js';
import { sendUntilAccepted } from './send-until-accepted.js';

const NEWLINE = Buffer.from('\n');

/** Kinesis Data Streams limits (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html). */
export const KINESIS_LIMITS = {
  /** Records per PutRecords call. */
  recordsPerCall: 500,
  /** Data plus partition keys per PutRecords call. */
  bytesPerCall: 5 * 1024 * 1024,
  /** Data plus partition key of one record. */
  bytesPerRecord: 1024 * 1024,
  /** Unicode characters of a partition key. */
  partitionKeyChars: 256,
} as const;

/** Config of the `kinesis` sink (see kinesis-sink-definition.ts for every default). */
export interface KinesisSinkConfig extends AwsSettings {
  streamName: string;
  partitionKey: string;
  explicitHashKey: string;
  batchSize: number;
  appendNewline: boolean;
  aggregate: boolean;
  aggregationMaxSize: string;
  retryTimeout: string;
  maxBackoff: string;
}

/** A record ready for PutRecords, with its size as Kinesis counts it. */
interface Entry {
  Data: Buffer;
  PartitionKey: string;
  ExplicitHashKey?: string;
  bytes: number;
}

/**
 * Writes each channel batch to a Kinesis data stream with PutRecords (calls of at most 500
 * records and 5 MiB). The partition key comes from the `partitionKey` template (`%{host}`), or
 * is random when the template is empty or renders empty; `explicitHashKey` optionally pins the
 * shard. When a call partly fails, only the failed records are sent again, with capped
 * exponential backoff (ProvisionedThroughputExceeded, InternalFailure), until `retryTimeout`;
 * then the whole batch rolls back and is re-sent later (at-least-once: the records that did
 * succeed are sent again). Records are acknowledged by Kinesis before the channel transaction
 * commits. A retried record can land after later records of its key (as with the KPL).
 *
 * A record over 1 MiB (data plus key), or a rendered key over 256 characters, can never be
 * accepted: once the rest of its batch is in Kinesis it goes to the dead-letter channel, or,
 * without one, is dropped and counted as EventRejectedCount (`setAsideRejected`), so one poison
 * event never stalls the sink.
 *
 * With `aggregate`, user records are packed into KPL aggregated records of at most
 * `aggregationMaxSize`, which the KCL (and our `kinesis` source) de-aggregate. Records are grouped
 * by their rendered keys, so every record of a key still goes to that key's shard in order; with
 * random keys the whole batch packs together.
 */
export class KinesisSink extends BatchSink {
  private client: KinesisClient | undefined;
  private sdk: typeof import('@aws-sdk/client-kinesis') | undefined;
  private readonly keyTemplate: HeaderTemplate | undefined;
  private readonly hashKeyTemplate: HeaderTemplate | undefined;
  private readonly aggregationMaxSize: number;
  private readonly retryTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly sleeper = new Sleeper();
  private stopping = false;

  constructor(private readonly config: KinesisSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.keyTemplate = config.partitionKey === '' ? undefined : new HeaderTemplate(config.partitionKey);
    this.hashKeyTemplate = config.explicitHashKey === '' ? undefined : new HeaderTemplate(config.explicitHashKey);
    this.aggregationMaxSize = Math.min(parseSize(config.aggregationMaxSize), KINESIS_LIMITS.bytesPerRecord - 4 * KINESIS_LIMITS.partitionKeyChars);
    this.retryTimeoutMs = parseDuration(config.retryTimeout);
    this.maxBackoffMs = Math.max(100, parseDuration(config.maxBackoff));
  }

  protected override async onStart(): Promise<void> {
    this.stopping = false;
    this.sdk = await import('@aws-sdk/client-kinesis');
    this.client = await createKinesisClient(this.config);
    this.ctx.logger.info({ stream: this.config.streamName, target: describeAwsTarget(this.config), aggregate: this.config.aggregate }, 'kinesis sink started');
  }

  protected override async onStop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake();
    this.client?.destroy();
    this.client = undefined;
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    const accepted: UserRecord[] = [];
    const rejected: SluiceEvent[] = [];
    const reasons = new Set<string>();
    for (const event of events) {
      const record = this.userRecord(event);
      // UTF-16 length bounds the code points from above: count them only for long keys.
      const keyChars = record.partitionKey.length <= KINESIS_LIMITS.partitionKeyChars ? record.partitionKey.length : [...record.partitionKey].length;
      const bytes = record.data.length + Buffer.byteLength(record.partitionKey);
      if (keyChars > KINESIS_LIMITS.partitionKeyChars) reasons.add(`a partition key of ${keyChars} characters (the limit is 256)`);
      else if (bytes > KINESIS_LIMITS.bytesPerRecord) reasons.add(`a record of ${bytes} bytes with its partition key (the limit is 1 MiB)`);
      else {
        accepted.push(record);
        continue;
      }
      rejected.push(event);
    }
    const rejection = rejected.length === 0 ? undefined
      : new SluiceError('SLUICE_EVENT_REJECTED', `kinesis sink '${this.name}': ${rejected.length} event(s) can never be put to stream '${this.config.streamName}': ${[...reasons].join('; ')}; they go to the deadLetter channel (or are dropped and counted as EventRejectedCount without one); shorten them with an interceptor`);
    const entries = this.config.aggregate ? this.aggregated(accepted) : accepted.map(toEntry);
    await this.putAll(entries);
    if (rejection && !await setAsideRejected(this.ctx, rejected.map((event) => ({ event, error: rejection })))) {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `kinesis sink '${this.name}': the dead-letter channel refused ${rejected.length} event(s) that can never be put; the batch is retried`, { cause: rejection });
    }
  }

  private userRecord(event: SluiceEvent): UserRecord {
    const rendered = this.keyTemplate?.render(event);
    const partitionKey = rendered ? rendered : randomKey();
    const hashKey = this.hashKeyTemplate?.render(event);
    const data = this.config.appendNewline ? Buffer.concat([event.body, NEWLINE]) : event.body;
    return hashKey ? { partitionKey, explicitHashKey: hashKey, data } : { partitionKey, data };
  }

  /**
   * Packs user records into KPL aggregated records, one aggregate stream per outer key so that a
   * key's records keep their shard and order. A record too big to share an aggregate goes alone,
   * unaggregated (as the KPL does).
   */
  private aggregated(records: UserRecord[]): Entry[] {
    const random = this.keyTemplate === undefined && this.hashKeyTemplate === undefined;
    const groups = new Map<string, UserRecord[]>();
    for (const record of records) {
      const group = random ? '' : `${record.partitionKey}\u0000${record.explicitHashKey ?? ''}`;
      let list = groups.get(group);
      if (!list) groups.set(group, (list = []));
      list.push(record);
    }
    const entries: Entry[] = [];
    for (const list of groups.values()) {
      const aggregator = new RecordAggregator(this.aggregationMaxSize);
      let first: UserRecord | undefined;
      const flush = (): void => {
        if (aggregator.size === 0) return;
        if (aggregator.size === 1) {
          aggregator.finish();
          entries.push(toEntry(first!));
        } else {
          const data = aggregator.finish();
          entries.push(toEntry({ partitionKey: first!.partitionKey, ...(first!.explicitHashKey ? { explicitHashKey: first!.explicitHashKey } : {}), data }));
        }
        first = undefined;
      };
      for (const record of list) {
        if (!aggregator.fits(record)) flush();
        if (aggregator.size === 0 && new RecordAggregator(this.aggregationMaxSize).sizeWith(record) > this.aggregationMaxSize) {
          entries.push(toEntry(record));
          continue;
        }
        first ??= record;
        aggregator.add(record);
      }
      flush();
    }
    return entries;
  }

  /** Sends the entries in PutRecords calls of at most 500 records and 5 MiB, in order. */
  private async putAll(entries: Entry[]): Promise<void> {
    let start = 0;
    while (start < entries.length) {
      let end = start;
      let bytes = 0;
      while (end < entries.length && end - start < KINESIS_LIMITS.recordsPerCall && bytes + entries[end]!.bytes <= KINESIS_LIMITS.bytesPerCall) {
        bytes += entries[end]!.bytes;
        end++;
      }
      await this.putCall(entries.slice(start, end));
      start = end;
    }
  }

  /** One PutRecords call, then the failed records alone until they all succeed or time runs out. */
  private async putCall(entries: Entry[]): Promise<void> {
    const { client, sdk } = this;
    if (!client || !sdk) throw new SluiceError('SLUICE_DELIVERY_FAILED', `kinesis sink '${this.name}' is not started`);
    await sendUntilAccepted(entries, {
      retryTimeoutMs: this.retryTimeoutMs,
      maxBackoffMs: this.maxBackoffMs,
      sleeper: this.sleeper,
      stopping: () => this.stopping,
      answered: (accepted, { failed, codes }) => {
        this.ctx.metrics.inc('KinesisRecordsPut', accepted);
        if (failed === 0) return;
        this.ctx.metrics.inc('KinesisRecordsRetried', failed);
        const throttled = codes.get('ProvisionedThroughputExceededException');
        if (throttled) this.ctx.metrics.inc('KinesisThrottledCount', throttled);
      },
      giveUp: ({ failed, sent, summary }) => new SluiceError('SLUICE_DELIVERY_FAILED', `kinesis sink '${this.name}': ${failed} of ${sent} records were still refused by stream '${this.config.streamName}' after ${this.config.retryTimeout} (${summary}); the batch rolls back and is retried (records already accepted are sent again). Add shards or lower the rate.`),
      resending: ({ failed, summary }) => this.ctx.logger.debug({ failed, codes: summary }, 'retrying the failed records of a PutRecords call'),
    }, async (pending) => {
      let answer;
      try {
        answer = await client.send(new sdk.PutRecordsCommand({
          StreamName: this.config.streamName,
          Records: pending.map((e): PutRecordsRequestEntry => (e.ExplicitHashKey === undefined
            ? { Data: e.Data, PartitionKey: e.PartitionKey }
            : { Data: e.Data, PartitionKey: e.PartitionKey, ExplicitHashKey: e.ExplicitHashKey })),
        }));
      } catch (error) {
        this.ctx.metrics.inc('ConnectionFailedCount');
        throw toSluiceError(error, `kinesis sink '${this.name}': PutRecords to stream '${this.config.streamName}' (${describeAwsTarget(this.config)})`);
      }
      const results = answer.Records ?? [];
      return (i) => {
        const code = results[i]?.ErrorCode;
        return code === undefined && results[i]?.SequenceNumber !== undefined ? undefined : code ?? 'NoResult';
      };
    });
  }
}

function toEntry(record: UserRecord): Entry {
  const bytes = record.data.length + Buffer.byteLength(record.partitionKey);
  return record.explicitHashKey === undefined
    ? { Data: record.data, PartitionKey: record.partitionKey, bytes }
    : { Data: record.data, PartitionKey: record.partitionKey, ExplicitHashKey: record.explicitHashKey, bytes };
}

/** A random partition key (a UUID; randomUUID draws from a cached entropy pool), spreading records evenly over the shards. */
function randomKey(): string {
  return randomUUID();
}
