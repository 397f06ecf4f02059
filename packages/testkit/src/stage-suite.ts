import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  createComponentContext, createStageEmit, memoryChannel, StageRunner, Telemetry, type MemoryChannel, type SluiceEvent,
  type Stage, type StageContext,
} from '@sluice/core';

/** Optional behaviours a stage declares; cases that need one are skipped without it. */
export interface StageCapabilities {
  /** The stage checkpoints its state in `ctx.dataDir`, so a new instance there carries on. */
  durable?: boolean;
}

/** Arguments of {@link stageSuite}. */
export interface StageSuiteOptions {
  /** Creates a fresh, not yet started stage. Called once per instance; a restart case calls it twice with the same dataDir. */
  factory(ctx: StageContext): Promise<Stage> | Stage;
  /** `count` input events numbered from `from`; every one must count in the results. */
  input(from: number, count: number): SluiceEvent[];
  /**
   * How many input events the results account for, read from the result events with the stage's
   * own identity rule (e.g. the sum of a COUNT(*) column, each window id counted once).
   */
  counted(results: readonly SluiceEvent[]): number;
  /** An epoch-ms time at which `advance` has emitted everything fed so far. */
  finishAt(): number;
  capabilities?: StageCapabilities;
  timeout?: number;
}

interface Rig {
  input: MemoryChannel;
  outputs: MemoryChannel[];
  dataDir: string;
  telemetry: Telemetry;
  context(): StageContext;
  drain(output?: number): Promise<SluiceEvent[]>;
  close(): Promise<void>;
}

const newChannel = async (name: string, telemetry: Telemetry, capacity = 100000): Promise<MemoryChannel> => {
  const channel = memoryChannel.create(
    { capacity, transactionCapacity: Math.min(capacity, 10000), byteCapacity: '0', keepAlive: '0' },
    createComponentContext({ name, kind: 'CHANNEL', telemetry }),
  ) as MemoryChannel;
  await channel.start();
  return channel;
};

async function createRig(outputCapacity = 100000): Promise<Rig> {
  const telemetry = new Telemetry();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-stage-suite-'));
  const input = await newChannel('suite-input', telemetry);
  const outputs = [await newChannel('suite-out-a', telemetry, outputCapacity), await newChannel('suite-out-b', telemetry, outputCapacity)];
  const byName = new Map(outputs.map((c) => [c.name, c] as const));
  return {
    input, outputs, dataDir, telemetry,
    context: () => ({
      ...createComponentContext({ name: 'stage-under-test', kind: 'STAGE', telemetry, dataDir }),
      channel: input, outputs: byName, emit: createStageEmit(byName, 1000),
    }),
    async drain(output = 0) {
      const tx = outputs[output]!.transaction();
      const events = await tx.take(100000);
      await tx.commit();
      return events;
    },
    async close() {
      for (const channel of [input, ...outputs]) await channel.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function put(channel: MemoryChannel, events: readonly SluiceEvent[]): Promise<void> {
  const tx = channel.transaction();
  tx.put(events);
  await tx.commit();
}

/**
 * The conformance suite every stage runs, inside a mocha `describe`. It drives the stage the way
 * the StageRunner does (the runner itself for the plain path; `prepare`/`commit`/`rollback` by hand
 * to place a crash exactly) between memory channels, and checks the stage rule of
 * docs/spec/stage.md: each committed input event counted once, nothing lost, results committed into
 * every output channel, a rolled-back batch forgotten, and (with `durable`) a restart or a crash
 * between checkpoint and take commit neither losing nor double-counting an event.
 */
export function stageSuite(options: StageSuiteOptions): void {
  describe('stage conformance', function () {
    this.timeout(options.timeout ?? 30000);
    let rig: Rig;
    let stages: Stage[];
    const create = async (): Promise<Stage> => {
      const stage = await options.factory(rig.context());
      stages.push(stage);
      await stage.start();
      return stage;
    };
    beforeEach(async () => {
      rig = await createRig();
      stages = [];
    });
    afterEach(async () => {
      for (const stage of stages) await stage.stop().catch(() => undefined);
      await rig.close();
    });

    it('startStopIdempotent: start and stop may each be called twice', async () => {
      const stage = await options.factory(rig.context());
      await stage.start();
      await stage.start();
      await stage.stop();
      await stage.stop();
    });

    it('countsEachEventOnce: events run through the StageRunner are each counted once, in every output channel', async () => {
      const stage = await create();
      await put(rig.input, options.input(0, 250));
      await put(rig.input, options.input(250, 250));
      const runner = new StageRunner(stage, { name: 'stage-under-test', channel: rig.input, logger: rig.context().logger, batchSize: 64, tickMs: 10 });
      while (await runner.step() > 0);
      expect(rig.input.size, 'events left in the input').to.equal(0);
      await stage.advance(options.finishAt());
      const a = await rig.drain(0);
      const b = await rig.drain(1);
      expect(options.counted(a)).to.equal(500);
      expect(b.map((e) => e.body.toString())).to.deep.equal(a.map((e) => e.body.toString()));
    });

    it('rollbackForgets: a prepared batch that rolls back is not counted', async () => {
      const stage = await create();
      await stage.prepare(options.input(0, 40));
      await stage.rollback();
      await stage.prepare(options.input(40, 60));
      await stage.commit();
      await stage.advance(options.finishAt());
      expect(options.counted(await rig.drain())).to.equal(60);
    });

    it('emitRetries: when an output channel refuses results, advance rejects and a later advance emits them all', async () => {
      const stage = await create();
      await stage.prepare(options.input(0, 100));
      await stage.commit();
      await rig.outputs[1]!.stop();
      let failed = false;
      await stage.advance(options.finishAt()).catch(() => { failed = true; });
      expect(failed, 'advance rejects while an output channel is closed').to.equal(true);
      await rig.outputs[1]!.start();
      await rig.drain(0);
      await stage.advance(options.finishAt());
      expect(options.counted(await rig.drain(1))).to.equal(100);
    });

    const durable = options.capabilities?.durable === true;
    (durable ? it : it.skip)('restartKeepsState: a new instance on the same dataDir emits what the stopped one had taken', async () => {
      const first = await create();
      await first.prepare(options.input(0, 70));
      await first.commit();
      await first.stop();
      const second = await create();
      await second.prepare(options.input(70, 30));
      await second.commit();
      await second.advance(options.finishAt());
      expect(options.counted(await rig.drain())).to.equal(100);
    });

    (durable ? it : it.skip)('crashBeforeTakeCommit: a checkpointed batch delivered again after a crash is counted once', async () => {
      const first = await create();
      await first.prepare(options.input(0, 50));
      await first.commit();
      await first.prepare(options.input(50, 50));
      // crash: the take of the second batch never commits, so the channel delivers it again
      await first.stop();
      const second = await create();
      await second.prepare(options.input(50, 50));
      await second.commit();
      await second.advance(options.finishAt());
      expect(options.counted(await rig.drain())).to.equal(100);
    });

    (durable ? it : it.skip)('crashAfterTakeCommit: a checkpointed batch whose take committed before the crash is counted', async () => {
      const first = await create();
      await first.prepare(options.input(0, 50));
      // crash after the take committed but before commit() reached the stage
      await first.stop();
      const second = await create();
      await second.prepare(options.input(50, 50));
      await second.commit();
      await second.advance(options.finishAt());
      expect(options.counted(await rig.drain())).to.equal(100);
    });
  });
}
