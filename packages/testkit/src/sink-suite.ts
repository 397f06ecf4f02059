import { expect } from 'chai';
import { createEvent, errorCode, type Sink, type SinkContext, type SluiceEvent } from '@sluice/core';
import { createHarness, type SuiteHarness } from './suite-context.js';

/** Optional behaviours a sink declares; cases that need one are skipped without it. */
export interface SinkCapabilities {
  /** The suite can make the destination fail and recover (`breakDestination`/`healDestination`). */
  failureInjection?: boolean;
}

/** Arguments of {@link sinkSuite}. */
export interface SinkSuiteOptions {
  /** Creates a fresh, not yet started sink draining `ctx.channel`. Called once per test. */
  factory(ctx: SinkContext): Promise<Sink> | Sink;
  /**
   * Everything the destination holds for this test, as bodies, read with an independent client
   * (the suite calls it after stopping the sink, so rolled files/objects are closed).
   */
  readBack(): Promise<(Buffer | string)[]>;
  /** Makes the destination refuse writes (required with `failureInjection`). */
  breakDestination?(): Promise<void>;
  /** Makes the destination accept writes again. */
  healDestination?(): Promise<void>;
  capabilities?: SinkCapabilities;
  /** Runs after each test (clear buckets, temp dirs, ...). */
  cleanup?(): Promise<void> | void;
  /** How many events the delivery case sends (default 250). */
  events?: number;
  timeout?: number;
}

const bodies = (from: number, count: number): SluiceEvent[] =>
  Array.from({ length: count }, (_, i) => createEvent(`suite-event-${from + i}`, { seq: String(from + i) }));

async function fill(harness: SuiteHarness, events: SluiceEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const tx = harness.channel.transaction();
    tx.put(events.slice(i, i + 1000));
    await tx.commit();
  }
}

/**
 * Calls `process()` until the channel is empty, as the SinkRunner would: a failed call is retried
 * after a short pause (a sink may refuse while its reconnect backoff runs, right after its
 * destination came back) until `retryMs` passed since the first failure in a row, then the last
 * error is thrown.
 */
async function drain(sink: Sink, harness: SuiteHarness, limit = 10000, retryMs = 10_000): Promise<void> {
  let failingSince: number | undefined;
  for (let i = 0; i < limit && harness.channel.size > 0; i++) {
    try {
      await sink.process();
      failingSince = undefined;
    } catch (error) {
      failingSince ??= Date.now();
      if (Date.now() - failingSince > retryMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  expect(harness.channel.size, 'events left in the channel after draining').to.equal(0);
}

/**
 * The conformance suite every sink runs, inside a mocha `describe`. It drives the sink the way
 * the SinkRunner does (`start`, `process` in a loop, `stop`) against a memory channel.
 */
export function sinkSuite(options: SinkSuiteOptions): void {
  const count = options.events ?? 250;
  describe('sink conformance', function () {
    this.timeout(options.timeout ?? 30000);
    let harness: SuiteHarness;
    let sink: Sink | undefined;
    beforeEach(async () => {
      harness = await createHarness();
      sink = await options.factory(harness.sinkContext());
    });
    afterEach(async () => {
      await options.healDestination?.();
      await sink?.stop().catch(() => undefined);
      await harness.close();
      await options.cleanup?.();
    });

    it('startStopIdempotent: start and stop may each be called twice', async () => {
      await sink!.start();
      await sink!.start();
      await sink!.stop();
      await sink!.stop();
    });

    it('backoffWhenEmpty: process() on an empty channel resolves backoff and writes nothing', async () => {
      await sink!.start();
      expect(await sink!.process()).to.equal('backoff');
      await sink!.stop();
      expect(await options.readBack()).to.have.length(0);
    });

    it('deliversEveryEvent: every event taken reaches the destination, and the channel is emptied', async () => {
      await sink!.start();
      await fill(harness, bodies(0, count));
      await drain(sink!, harness);
      await sink!.stop();
      const got = new Set((await options.readBack()).map((b) => b.toString()));
      const missing = bodies(0, count).map((e) => e.body.toString()).filter((b) => !got.has(b));
      expect(missing, 'bodies missing at the destination').to.deep.equal([]);
    });

    it('telemetry: emits sink.events_sent and counts EventDrainSuccessCount', async () => {
      await sink!.start();
      await fill(harness, bodies(0, 10));
      await drain(sink!, harness);
      const sent = harness.events.filter((e) => e.type === 'sink.events_sent').reduce((n, e) => n + e.count, 0);
      expect(sent).to.equal(10);
      await sink!.stop();
    });

    (options.capabilities?.failureInjection ? it : it.skip)('rollbackOnFailure: a failed delivery leaves every event in the channel, in order, and a retry delivers them', async () => {
      await sink!.start();
      await fill(harness, bodies(0, 20));
      await options.breakDestination!();
      let failure: unknown;
      try {
        await sink!.process();
      } catch (error) {
        failure = error;
      }
      expect(failure, 'process() must reject while the destination fails').to.not.equal(undefined);
      expect(errorCode(failure), 'a failed delivery carries a Sluice error code').to.match(/^SLUICE_/);
      expect(harness.channel.size).to.equal(20);
      const peek = harness.channel.transaction();
      const first = await peek.take(1);
      await peek.rollback();
      expect(first[0]!.body.toString()).to.equal('suite-event-0');
      await options.healDestination!();
      await drain(sink!, harness);
      await sink!.stop();
      const got = new Set((await options.readBack()).map((b) => b.toString()));
      expect(bodies(0, 20).map((e) => e.body.toString()).filter((b) => !got.has(b))).to.deep.equal([]);
    });
  });
}
