import {
  ChannelProcessor, createComponentContext, MemoryChannel, memoryChannel, ReplicatingSelector, Telemetry,
  type SinkContext, type SourceContext, type TelemetryEvent,
} from '@sluice/core';

/** A memory channel, a telemetry recorder and contexts wired to them, for the conformance suites. */
export interface SuiteHarness {
  channel: MemoryChannel;
  telemetry: Telemetry;
  events: TelemetryEvent[];
  sinkContext(name?: string): SinkContext;
  sourceContext(name?: string): SourceContext;
  close(): Promise<void>;
}

/** Builds a started memory channel and contexts around it. `capacity` bounds the channel. */
export async function createHarness(options: { capacity?: number; keepAlive?: string } = {}): Promise<SuiteHarness> {
  const telemetry = new Telemetry();
  const events: TelemetryEvent[] = [];
  const subscription = telemetry.events$.subscribe((event) => events.push(event));
  const channel = memoryChannel.create(
    { capacity: options.capacity ?? 100000, transactionCapacity: Math.min(options.capacity ?? 100000, 10000), byteCapacity: '0', keepAlive: options.keepAlive ?? '0' },
    createComponentContext({ name: 'suite-channel', kind: 'CHANNEL', telemetry }),
  ) as MemoryChannel;
  await channel.start();
  return {
    channel,
    telemetry,
    events,
    sinkContext: (name = 'sink-under-test') => ({ ...createComponentContext({ name, kind: 'SINK', telemetry }), channel }),
    sourceContext: (name = 'source-under-test') => {
      const base = createComponentContext({ name, kind: 'SOURCE', telemetry });
      const processor = new ChannelProcessor({
        source: name, interceptors: [], selector: new ReplicatingSelector({ optional: [] }, new Map([[channel.name, channel]])),
        metrics: base.metrics, telemetry, logger: base.logger,
      });
      return { ...base, deliver: (batch) => processor.deliver(batch) };
    },
    async close() {
      subscription.unsubscribe();
      await channel.stop();
    },
  };
}

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
