import type { FirehoseClient, _Record } from '@aws-sdk/client-firehose';
import {
  BatchSink, describeAwsTarget, setAsideRejected, parseDuration, Sleeper, SluiceError, type AwsSettings, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { createFirehoseClient } from './aws-clients.js';
import { toSluiceError } from './kinesis-errors.js';
import { sendUntilAccepted } from './send-until-accepted.js';

/** Firehose limits (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html). */
export const FIREHOSE_LIMITS = {
  recordsPerCall: 500,
  bytesPerCall: 4 * 1024 * 1024,
  /** 1,000 KiB per record, before base64. */
  bytesPerRecord: 1000 * 1024,
} as const;

/** Config of the `firehose` sink (see firehose-sink-definition.ts for every default). */
export interface FirehoseSinkConfig extends AwsSettings {
  deliveryStreamName: string;
  batchSize: number;
  appendNewline: boolean;
  retryTimeout: string;
  maxBackoff: string;
}

const NEWLINE = Buffer.from('\n');

/**
 * Writes each channel batch to an Amazon Data Firehose delivery stream with PutRecordBatch
 * (calls of at most 500 records and 4 MiB). Entries a call refused (ServiceUnavailable "Slow
 * down.", InternalFailure) are sent again alone, with capped exponential backoff, until
 * `retryTimeout`; then the batch rolls back and is re-sent (at-least-once; the accepted records
 * are duplicated). With `appendNewline` each record gets a trailing `\n`, since Firehose
 * concatenates records into its S3 objects with no delimiter. A record over 1,000 KiB goes to
 * the dead-letter channel (after the rest of its batch was accepted), or, without one, is dropped
 * and counted as EventRejectedCount, so one poison event never stalls the sink.
 */
export class FirehoseSink extends BatchSink {
  private client: FirehoseClient | undefined;
  private sdk: typeof import('@aws-sdk/client-firehose') | undefined;
  private readonly retryTimeoutMs: number;
  private readonly maxBackoffMs: number;
  private readonly sleeper = new Sleeper();
  private stopping = false;

  constructor(private readonly config: FirehoseSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.retryTimeoutMs = parseDuration(config.retryTimeout);
    this.maxBackoffMs = Math.max(100, parseDuration(config.maxBackoff));
  }

  protected override async onStart(): Promise<void> {
    this.stopping = false;
    this.sdk = await import('@aws-sdk/client-firehose');
    this.client = await createFirehoseClient(this.config);
    this.ctx.logger.info({ deliveryStream: this.config.deliveryStreamName, target: describeAwsTarget(this.config) }, 'firehose sink started');
  }

  protected override async onStop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake();
    this.client?.destroy();
    this.client = undefined;
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    const records: Buffer[] = [];
    const rejected: SluiceEvent[] = [];
    let largest = 0;
    for (const event of events) {
      const data = this.config.appendNewline ? Buffer.concat([event.body, NEWLINE]) : event.body;
      if (data.length > FIREHOSE_LIMITS.bytesPerRecord) {
        rejected.push(event);
        largest = Math.max(largest, data.length);
      } else {
        records.push(data);
      }
    }
    const rejection = rejected.length === 0 ? undefined
      : new SluiceError('SLUICE_EVENT_REJECTED', `firehose sink '${this.name}': ${rejected.length} event(s) can never be put to delivery stream '${this.config.deliveryStreamName}' (up to ${largest} bytes; the limit is 1,000 KiB per record); they go to the deadLetter channel (or are dropped and counted as EventRejectedCount without one); shorten them with an interceptor`);
    let start = 0;
    while (start < records.length) {
      let end = start;
      let bytes = 0;
      while (end < records.length && end - start < FIREHOSE_LIMITS.recordsPerCall && bytes + records[end]!.length <= FIREHOSE_LIMITS.bytesPerCall) bytes += records[end++]!.length;
      await this.putCall(records.slice(start, end));
      start = end;
    }
    if (rejection && !await setAsideRejected(this.ctx, rejected.map((event) => ({ event, error: rejection })))) {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `firehose sink '${this.name}': the dead-letter channel refused ${rejected.length} event(s) that can never be put; the batch is retried`, { cause: rejection });
    }
  }

  /** One PutRecordBatch call, then the refused entries alone until accepted or time runs out. */
  private async putCall(records: Buffer[]): Promise<void> {
    const { client, sdk } = this;
    if (!client || !sdk) throw new SluiceError('SLUICE_DELIVERY_FAILED', `firehose sink '${this.name}' is not started`);
    await sendUntilAccepted(records, {
      retryTimeoutMs: this.retryTimeoutMs,
      maxBackoffMs: this.maxBackoffMs,
      sleeper: this.sleeper,
      stopping: () => this.stopping,
      answered: (accepted, refusals) => {
        this.ctx.metrics.inc('FirehoseRecordsPut', accepted);
        if (refusals.failed > 0) this.ctx.metrics.inc('FirehoseRecordsRetried', refusals.failed);
      },
      giveUp: ({ failed, sent, summary }) => new SluiceError('SLUICE_DELIVERY_FAILED', `firehose sink '${this.name}': ${failed} of ${sent} records were still refused by delivery stream '${this.config.deliveryStreamName}' after ${this.config.retryTimeout} (${summary}); the batch rolls back and is retried (records already accepted are sent again)`),
      resending: ({ failed, summary }) => this.ctx.logger.debug({ failed, codes: summary }, 'retrying the refused entries of a PutRecordBatch call'),
    }, async (pending) => {
      let answer;
      try {
        answer = await client.send(new sdk.PutRecordBatchCommand({
          DeliveryStreamName: this.config.deliveryStreamName,
          Records: pending.map((Data): _Record => ({ Data })),
        }));
      } catch (error) {
        this.ctx.metrics.inc('ConnectionFailedCount');
        throw toSluiceError(error, `firehose sink '${this.name}': PutRecordBatch to delivery stream '${this.config.deliveryStreamName}' (${describeAwsTarget(this.config)})`);
      }
      const responses = answer.RequestResponses ?? [];
      return (i) => {
        const response = responses[i];
        return response?.RecordId !== undefined && response.ErrorCode === undefined ? undefined : response?.ErrorCode ?? 'NoResponse';
      };
    });
  }
}
