import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { createComponentContext, createEvent, createStageEmit, type Channel } from '@sluice/core';
import { SqlStage, type SqlStageConfig } from '../src/index.js';
import { byWindow, StageRig } from './stage-rig.js';

const T0 = 1_800_000_000_000;

const config = (type: 'hopping' | 'session'): SqlStageConfig => ({
  schema: { host: 'varchar', bytes: 'integer', ts: 'integer' },
  window: type === 'hopping'
    ? { type: 'hopping', size: '300ms', hop: '100ms', time: 'event', field: 'ts', lateness: '50ms' }
    : { type: 'session', gap: '40ms', key: 'host', time: 'event', field: 'ts', lateness: '50ms' },
  query: 'SELECT host, COUNT(*) AS n, SUM(bytes) AS total FROM events GROUP BY host ORDER BY host',
  tables: {}, batchSize: 50, tick: '50ms', threads: 1,
});

/** Events over ~2 s of event time, slightly out of order, with pauses that end sessions. */
const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify({
  host: `h${i % 3}`, bytes: i, ts: T0 + i * 3 + (i % 5) * 7 + Math.floor(i / 100) * 120,
}));

/** Runs the lines through stages on one dataDir, restarting after every `every` lines; returns rows per window. */
async function runWithRestarts(type: 'hopping' | 'session', every: number, compactAfterBytes: number): Promise<{ windows: Map<string, Record<string, unknown>[]>; snapshots: boolean }> {
  const rig = new StageRig(config(type));
  await rig.start();
  await rig.stage.stop();
  const outputs = new Map<string, Channel>([['results', rig.results]]);
  let snapshots = false;
  try {
    for (let from = 0; from < lines.length; from += every) {
      const stage = new SqlStage(config(type), { ...createComponentContext({ name: 'stats', kind: 'STAGE', dataDir: rig.dataDir }), channel: rig.input, outputs, emit: createStageEmit(outputs, 1000) }, { compactAfterBytes });
      await stage.start();
      for (let i = from; i < Math.min(from + every, lines.length); i += 50) {
        await stage.prepare(lines.slice(i, Math.min(i + 50, from + every, lines.length)).map((l) => createEvent(l)));
        await stage.commit();
        await stage.advance(Date.now());
        snapshots ||= readdirSync(rig.dataDir).some((f) => f.endsWith('.parquet'));
      }
      if (from + every >= lines.length) await stage.closeAll();
      await stage.stop();
    }
    return { windows: byWindow(await rig.take(rig.results)), snapshots };
  } finally {
    await rig.close();
  }
}

describe('sql stage checkpoint: compaction into a Parquet snapshot and restarts', function () {
  this.timeout(60000);
  for (const type of ['hopping', 'session'] as const) {
    it(`${type} windows: restarting every 120 events with a snapshot after every emission gives the rows of one uninterrupted run`, async () => {
      const straight = await runWithRestarts(type, lines.length, 64 * 1024 * 1024);
      const restarted = await runWithRestarts(type, 120, 1);
      expect(straight.snapshots).to.equal(false);
      expect(restarted.snapshots, 'a snapshot was written').to.equal(true);
      expect(straight.windows.size).to.be.greaterThan(10);
      expect(Object.fromEntries(restarted.windows)).to.deep.equal(Object.fromEntries(straight.windows));
    });
  }
});
