import type { Status } from '../component.js';
import { defineComponent } from '../define.js';

import type { NamedSink, SinkProcessor } from '../sink-processor.js';

/** Runs one sink; every lone sink gets one. */
export class DefaultSinkProcessor implements SinkProcessor {
  readonly name: string;
  constructor(readonly sinks: readonly NamedSink[]) {
    if (sinks.length !== 1) throw new TypeError('the default sink processor takes exactly one sink; use failover or load_balance for groups');
    this.name = sinks[0]!.name;
  }

  async start(): Promise<void> {
    await this.sinks[0]!.sink.start();
  }

  async stop(): Promise<void> {
    await this.sinks[0]!.sink.stop();
  }

  process(): Promise<Status> {
    return this.sinks[0]!.sink.process();
  }
}

export const defaultSinkProcessor = defineComponent<'processor', Record<string, never>>({
  kind: 'processor',
  type: 'default',
  description: 'Runs a single sink.',
  guarantee: 'The sink\'s own guarantee.',
  schema: { type: 'object', additionalProperties: false, properties: {}, required: [] } as never,
  // Flume refuses it too ("DefaultSinkPolicy can only handle one sink").
  check: (_config, scope) => ((scope?.sinks?.length ?? 1) > 1
    ? [{ path: '/type', message: `the default sink processor drives exactly one sink, and this group has ${scope!.sinks!.length}`, hint: 'use type: failover or type: load_balance for a group of sinks' }]
    : []),
  create: (_config, ctx) => new DefaultSinkProcessor(ctx.sinks),
});
