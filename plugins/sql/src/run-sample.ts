import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createComponentContext, createEvent, createStageEmit, memoryChannel, type Channel, type MemoryChannel, type SluiceEvent,
} from '@sluice/core';
import { readSampleRecords } from './sample-records.js';
import type { SqlStageConfig } from './sql-stage-config.js';
import { SqlStage } from './sql-stage.js';

/** What `sluice sql run` prints: the result events, and how many records were bad or late. */
export interface SampleRun {
  results: SluiceEvent[];
  records: number;
  bad: number;
  late: number;
}

/**
 * Runs a sql stage's query over a sample file (`sluice sql run`): each record becomes one event
 * (in file order, processing time: the moment it is read), all windows are closed at the end, and
 * the result events are returned. The stage checkpoints into a temporary directory removed
 * afterwards; nothing else is touched.
 */
export async function runStageOnSample(config: SqlStageConfig, file: string, name = 'sample'): Promise<SampleRun> {
  const { records } = await readSampleRecords(file);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-sql-run-'));
  const channel = (capacity: number, label: string): MemoryChannel => memoryChannel.create(
    { capacity, transactionCapacity: capacity, byteCapacity: '0', keepAlive: '0' },
    createComponentContext({ name: label, kind: 'CHANNEL' }),
  ) as MemoryChannel;
  const input = channel(1, 'input');
  const output = channel(10_000_000, 'results');
  await output.start();
  const outputs = new Map<string, Channel>([['results', output]]);
  const base = createComponentContext({ name, kind: 'STAGE', dataDir });
  const stage = new SqlStage(config, { ...base, channel: input, outputs, emit: createStageEmit(outputs, 10_000) });
  try {
    await stage.start();
    const events = records.map((r) => createEvent(JSON.stringify(r)));
    for (let i = 0; i < events.length; i += config.batchSize) {
      await stage.prepare(events.slice(i, i + config.batchSize));
      await stage.commit();
    }
    await stage.closeAll();
    const tx = output.transaction();
    const results = await tx.take(10_000_000);
    await tx.commit();
    return { results, records: records.length, bad: base.metrics.get('EventBadCount'), late: base.metrics.get('EventLateCount') };
  } finally {
    await stage.stop();
    await output.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
