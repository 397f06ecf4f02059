import {
  ChannelProcessor, createComponentContext, MemoryChannel, memoryChannel, ReplicatingSelector, Telemetry,
  type SinkContext, type SluiceEvent, type SourceContext, type TelemetryEvent,
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

/** Puts `events` into the harness channel in one committed transaction: input for the sink under test. */
export async function putAll(harness: SuiteHarness, events: readonly SluiceEvent[]): Promise<void> {
  const tx = harness.channel.transaction();
  tx.put(events);
  await tx.commit();
}

/** Takes and commits up to `max` events from the harness channel: what the source under test delivered so far. */
export async function takeAll(harness: SuiteHarness, max = 10000): Promise<SluiceEvent[]> {
  const tx = harness.channel.transaction();
  const events = await tx.take(max);
  await tx.commit();
  return events;
}

/** Takes from the harness channel until at least `count` events arrived; throws after `timeoutMs`. */
export async function collectEvents(harness: SuiteHarness, count: number, timeoutMs = 10000): Promise<SluiceEvent[]> {
  const got: SluiceEvent[] = [];
  await eventually(async () => {
    got.push(...(await takeAll(harness)));
    return got.length >= count;
  }, `${count} events in the channel (have ${got.length})`, timeoutMs);
  return got;
}
