import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createComponentContext, createEvent, createStageEmit, memoryChannel, StageRunner, type Channel, type MemoryChannel, type SluiceEvent,
} from '@sluice/core';
import { SqlStage, type SqlStageConfig } from '../src/index.js';

/** A sql stage between memory channels (input, results, dead letters), for tests. */
export class StageRig {
  readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sql-test-'));
  readonly input = channel('input');
  readonly results = channel('results');
  readonly dead = channel('dead');
  readonly context = createComponentContext({ name: 'stats', kind: 'STAGE', dataDir: this.dataDir });
  readonly stage: SqlStage;

  constructor(config: SqlStageConfig) {
    const outputs = new Map<string, Channel>([['results', this.results]]);
    this.stage = new SqlStage(config, { ...this.context, channel: this.input, outputs, emit: createStageEmit(outputs, 1000), deadLetter: { name: 'dead', channel: this.dead } });
  }

  async start(): Promise<void> {
    for (const c of [this.input, this.results, this.dead]) await c.start();
    await this.stage.start();
  }

  /** Puts the lines (one event each) into the input and runs the stage until it is empty. */
  async feed(lines: readonly string[], batchSize = 64): Promise<void> {
    for (let i = 0; i < lines.length; i += 1000) {
      const tx = this.input.transaction();
      tx.put(lines.slice(i, i + 1000).map((l) => createEvent(l)));
      await tx.commit();
    }
    const runner = new StageRunner(this.stage, { name: 'stats', channel: this.input, logger: this.context.logger, batchSize, tickMs: 10, metrics: this.context.metrics });
    while (await runner.step() > 0);
  }

  async take(channel: MemoryChannel): Promise<SluiceEvent[]> {
    const tx = channel.transaction();
    const events = await tx.take(100000);
    await tx.commit();
    return events;
  }

  async close(): Promise<void> {
    await this.stage.stop();
    for (const c of [this.input, this.results, this.dead]) await c.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function channel(name: string): MemoryChannel {
  return memoryChannel.create({ capacity: 200000, transactionCapacity: 100000, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name, kind: 'CHANNEL' })) as MemoryChannel;
}

/** Result events grouped by window: `start/end/windowId` -> rows in emitted order. */
export function byWindow(results: readonly SluiceEvent[]): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const e of results) {
    const key = `${e.headers.windowStart}/${e.headers.windowEnd}`;
    out.set(key, [...(out.get(key) ?? []), JSON.parse(e.body.toString()) as Record<string, unknown>]);
  }
  return out;
}
