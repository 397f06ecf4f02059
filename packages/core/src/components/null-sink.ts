import { BatchSink } from '../batch-sink.js';
import { defineComponent } from '../define.js';

/** Config of the `null` sink. */
export interface NullSinkConfig {
  batchSize: number;
}

/** Takes events from its channel and discards them (benchmarks, tests, dropping a stream on purpose). */
export class NullSink extends BatchSink {
  protected async write(): Promise<void> {}
}

export const nullSink = defineComponent<'sink', NullSinkConfig>({
  kind: 'sink',
  type: 'null',
  description: 'Discards every event it takes.',
  guarantee: 'Events are removed from the channel and discarded.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Events taken per transaction.' },
    },
    required: ['batchSize'],
  },
  flumeDefaults: { batchSize: 100 },
  create: (config, ctx) => new NullSink(ctx, config.batchSize),
});
