import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  createComponentContext, createEvent, createStageEmit, memoryChannel, SluiceError, type Channel, type MemoryChannel,
} from '@sluice/core';
import { SqlStage, type SqlStageConfig } from '../src/index.js';

const config: SqlStageConfig = {
  schema: { host: 'varchar', bytes: 'integer' },
  window: { type: 'tumbling', size: '10s', time: 'processing', lateness: '0s' },
  query: 'SELECT host, COUNT(*) AS n, SUM(bytes) AS b FROM events GROUP BY host ORDER BY host',
  tables: {}, batchSize: 100, tick: '50ms', threads: 1,
};

function channel(name: string, capacity: number): MemoryChannel {
  return memoryChannel.create({ capacity, transactionCapacity: capacity, byteCapacity: '0', keepAlive: '0' }, createComponentContext({ name, kind: 'CHANNEL' })) as MemoryChannel;
}

describe('sql stage: dead letters of the checkpointed batch', () => {
  it('are put again when the input delivers that batch again after its prepare failed (a full dead-letter channel, then a restart)', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sql-dead-'));
    const results = channel('results', 1000);
    const full = channel('dead', 2);
    const dead = channel('dead', 1000);
    const outputs = new Map<string, Channel>([['results', results]]);
    const stageWith = (deadLetter: MemoryChannel): SqlStage => {
      const ctx = createComponentContext({ name: 'stats', kind: 'STAGE', dataDir });
      return new SqlStage(config, { ...ctx, channel: results, outputs, emit: createStageEmit(outputs, 1000), deadLetter: { name: 'dead', channel: deadLetter } });
    };
    const batch = [
      createEvent('{"host":"a","bytes":1}'), createEvent('{not json', { id: '1' }),
      createEvent('{"host":"a","bytes":2}'), createEvent('{"host":"b","bytes":"lots"}', { id: '3' }),
    ];
    for (const c of [results, full, dead]) await c.start();
    const filler = full.transaction();
    filler.put([createEvent('already here')]);
    await filler.commit();
    const first = stageWith(full);
    const second = stageWith(dead);
    try {
      await first.start();
      // The checkpoint is written before the dead letters go out; here they find no room.
      let failure: unknown;
      await first.prepare(batch).catch((error: unknown) => { failure = error; });
      expect((failure as SluiceError).code).to.equal('SLUICE_CHANNEL_FULL');
      await first.rollback();
      await first.stop();

      await second.start();
      await second.prepare(batch);
      await second.commit();
      const tx = dead.transaction();
      const letters = await tx.take(100);
      await tx.commit();
      expect(letters.map((e) => [e.headers.id, e.headers.sluiceStageError])).to.deep.equal([
        ['1', 'the body is not JSON'],
        ['3', "field 'bytes' is not an integer: \"lots\""],
      ]);
      // The batch itself was counted once, from the checkpoint.
      await second.closeAll();
      const out = results.transaction();
      const rows = (await out.take(100)).map((e) => JSON.parse(e.body.toString()) as unknown);
      await out.commit();
      expect(rows).to.deep.equal([{ host: 'a', n: 2, b: 3 }]);
    } finally {
      await first.stop();
      await second.stop();
      for (const c of [results, full, dead]) await c.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
