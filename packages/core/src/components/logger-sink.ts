import { BatchSink } from '../batch-sink.js';
import type { SinkContext } from '../context.js';
import { defineComponent } from '../define.js';
import type { SluiceEvent } from '../event.js';

/** Config of the `logger` sink. */
export interface LoggerSinkConfig {
  batchSize: number;
  maxBytesToLog: number;
}

/** Logs each event (headers and the start of the body) at info level; for debugging topologies. */
export class LoggerSink extends BatchSink {
  constructor(private readonly config: LoggerSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    for (const event of events) {
      const body = event.body.subarray(0, this.config.maxBytesToLog).toString('utf8');
      this.ctx.logger.info({ headers: event.headers, body, bodyLength: event.body.length }, 'event');
    }
  }
}

export const loggerSink = defineComponent<'sink', LoggerSinkConfig>({
  kind: 'sink',
  type: 'logger',
  description: 'Logs every event at info level (headers and the first maxBytesToLog bytes of the body).',
  guarantee: 'Events are removed from the channel once logged; the log is the only copy.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Events taken per transaction.' },
      maxBytesToLog: { type: 'integer', minimum: 0, default: 16, description: 'How many body bytes to log per event.' },
    },
    required: ['batchSize', 'maxBytesToLog'],
  },
  // Flume's LoggerSink takes one event per transaction.
  flumeDefaults: { batchSize: 1 },
  create: (config, ctx) => new LoggerSink(config, ctx),
});
