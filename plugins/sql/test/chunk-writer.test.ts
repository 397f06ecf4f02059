import { expect } from 'chai';
import { ChunkWriter } from '../src/chunk-writer.js';
import { loadDuckDB } from '../src/duck-engine.js';

describe('sql stage chunk writer', () => {
  it('writes every column type and NULLs through whole and partial chunks, as the row API would', async () => {
    const duckdb = await loadDuckDB();
    const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    try {
      await connection.run('CREATE TABLE t (i BIGINT, s VARCHAR, n BIGINT, d DOUBLE, b BOOLEAN, ts TIMESTAMP)');
      const appender = await connection.createAppender('t');
      const writer = await ChunkWriter.create(duckdb, appender, ['bigint', 'varchar', 'bigint', 'double', 'boolean', 'timestamp']);
      const rows = 5000;
      const expected: unknown[][] = [];
      for (let i = 0; i < rows; i++) {
        // Every third row NULL in one column or another, so some chunks mix NULLs and values.
        const s = i % 3 === 1 ? null : `v${i}-${'é'.repeat(i % 4)}${'x'.repeat(i % 17)}`;
        const n = i % 7 === 3 ? null : (i % 2 === 0 ? 1 : -1) * (2 ** 52 + i * 1_000_003);
        const d = i % 11 === 5 ? null : i / 7;
        const b = i % 5 === 2 ? null : i % 2 === 0;
        const ts = i % 13 === 6 ? null : 1_700_000_000_000 + i * 997 - (i % 2) * 3_000_000_000_000;
        writer.setInteger(0, i);
        for (const [column, value, set] of [
          [1, s, (v: unknown) => writer.setString(1, v as string)],
          [2, n, (v: unknown) => writer.setInteger(2, v as number)],
          [3, d, (v: unknown) => writer.setDouble(3, v as number)],
          [4, b, (v: unknown) => writer.setBoolean(4, v as boolean)],
          [5, ts, (v: unknown) => writer.setTimestamp(5, v as number)],
        ] as const) {
          if (value === null) writer.setNull(column);
          else set(value);
        }
        writer.endRow();
        expected.push([i, s, n, d, b, ts]);
      }
      writer.flush();
      appender.closeSync();
      const reader = await connection.runAndReadAll('SELECT i, s, n, d, b, epoch_ms(ts) FROM t ORDER BY i');
      const got = reader.getRowsJS().map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
      expect(got.length).to.equal(rows);
      expect(got).to.deep.equal(expected);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
