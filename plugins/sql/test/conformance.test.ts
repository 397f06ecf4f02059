import { createEvent, type SluiceEvent } from '@sluice/core';
import { stageSuite } from '@sluice/testkit';
import { SqlStage, type SqlStageConfig } from '../src/index.js';

/** Processing time 200 ms tumbling windows: advance(now + 1 day) closes every window. */
const config: SqlStageConfig = {
  schema: { host: 'varchar', bytes: 'integer' },
  window: { type: 'tumbling', size: '200ms', time: 'processing', lateness: '0s' },
  query: 'SELECT host, COUNT(*) AS n, SUM(bytes) AS b FROM events GROUP BY host',
  tables: {}, batchSize: 100, tick: '50ms', threads: 1,
};

describe('sql stage conformance (@sluice/testkit stageSuite)', () => {
  stageSuite({
    factory: (ctx) => new SqlStage(config, ctx),
    input: (from, count): SluiceEvent[] => Array.from({ length: count }, (_, i) => {
      const n = from + i;
      return createEvent(JSON.stringify({ host: `h${n % 3}`, bytes: n }));
    }),
    counted: (results) => {
      const seen = new Map<string, number>();
      for (const e of results) {
        const row = JSON.parse(e.body.toString()) as { host: string; n: number };
        seen.set(`${e.headers.windowId}/${row.host}`, row.n);
      }
      return [...seen.values()].reduce((a, b) => a + b, 0);
    },
    finishAt: () => Date.now() + 86_400_000,
    capabilities: { durable: true },
  });
});
