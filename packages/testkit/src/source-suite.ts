import { expect } from 'chai';
import { isPollable, PollableSourceRunner, silentLogger, type Source, type SourceContext } from '@sluice/core';
import { createHarness, eventually, type SuiteHarness } from './suite-context.js';

/** Optional behaviours a source declares. */
export interface SourceCapabilities {
  /** Every event the client sends is delivered even while the channel is full (the client retries or the source does). */
  backpressure?: boolean;
}

/** Arguments of {@link sourceSuite}. */
export interface SourceSuiteOptions {
  /** Creates a fresh, not yet started source delivering through `ctx.deliver`. */
  factory(ctx: SourceContext): Promise<Source> | Source;
  /**
   * Sends each body as one event through a real client of the source (after `start`). Like a
   * real client it must resend what the source refused (FAILED, 503, ...). Resolves when sent.
   */
  produce(source: Source, bodies: string[]): Promise<void>;
  capabilities?: SourceCapabilities;
  cleanup?(): Promise<void> | void;
  /** How many events the delivery case sends (default 200). */
  events?: number;
  timeout?: number;
}

async function takeBodies(harness: SuiteHarness, into: string[]): Promise<void> {
  const tx = harness.channel.transaction();
  const events = await tx.take(1000);
  await tx.commit();
  for (const event of events) into.push(event.body.toString());
}

/**
 * The conformance suite every source runs, inside a mocha `describe`. The source delivers into a
 * real ChannelProcessor and memory channel; pollable sources are driven by a PollableSourceRunner.
 */
export function sourceSuite(options: SourceSuiteOptions): void {
  const count = options.events ?? 200;
  describe('source conformance', function () {
    this.timeout(options.timeout ?? 30000);
    let harness: SuiteHarness | undefined;
    let source: Source | undefined;
    let runner: PollableSourceRunner | undefined;

    async function begin(capacity?: number): Promise<SuiteHarness> {
      harness = await createHarness(capacity === undefined ? {} : { capacity });
      source = await options.factory(harness.sourceContext());
      await source.start();
      if (isPollable(source)) {
        runner = new PollableSourceRunner(source, { logger: silentLogger, backoffIncrementMs: 20, maxBackoffMs: 100, errorBackoffMs: 10 });
        runner.start();
      }
      return harness;
    }

    afterEach(async () => {
      await runner?.stop();
      runner = undefined;
      await source?.stop().catch(() => undefined);
      await harness?.close();
      await options.cleanup?.();
    });

    it('startStopIdempotent: start and stop may each be called twice', async () => {
      harness = await createHarness();
      source = await options.factory(harness.sourceContext());
      await source.start();
      await source.start();
      await source.stop();
      await source.stop();
    });

    it('deliversEveryEvent: every event a client sends is committed to the channel', async () => {
      const h = await begin();
      const sent = Array.from({ length: count }, (_, i) => `suite-body-${i}`);
      await options.produce(source!, sent);
      const got: string[] = [];
      await eventually(async () => {
        await takeBodies(h, got);
        return sent.every((b) => got.some((g) => g.includes(b)));
      }, `all ${count} events in the channel`);
    });

    it('telemetry: emits source.events_received and counts EventAcceptedCount', async () => {
      const h = await begin();
      await options.produce(source!, ['telemetry-1', 'telemetry-2']);
      await eventually(() => h.events.filter((e) => e.type === 'source.events_received').reduce((n, e) => n + e.count, 0) >= 2, 'source.events_received for 2 events');
    });

    (options.capabilities?.backpressure ? it : it.skip)('backpressure: with a full channel nothing is lost; delivery resumes when a sink drains', async () => {
      const h = await begin(5);
      const sent = Array.from({ length: 50 }, (_, i) => `pressure-${i}`);
      const got: string[] = [];
      const producing = options.produce(source!, sent);
      await eventually(async () => {
        await takeBodies(h, got);
        return sent.every((b) => got.some((g) => g.includes(b)));
      }, 'all events delivered through a channel of capacity 5', 20000);
      await producing;
      expect(got.length).to.be.at.least(sent.length);
    });
  });
}
