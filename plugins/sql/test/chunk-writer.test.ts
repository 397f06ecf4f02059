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

  it('inline short strings compare, group and join exactly as strings stored by DuckDB itself', async () => {
    const duckdb = await loadDuckDB();
    const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    try {
      await connection.run('CREATE TABLE chunked (i BIGINT, s VARCHAR)');
      await connection.run('CREATE TABLE native (i BIGINT, s VARCHAR)');
      const chunked = await connection.createAppender('chunked');
      const native = await connection.createAppender('native');
      const writer = await ChunkWriter.create(duckdb, chunked, ['bigint', 'varchar']);
      // Every length around the 12-byte inline limit, NUL (stored up to it by the native call),
      // non-ASCII, and NULLs between them, over several chunks so slots are reused.
      const values = ['', 'a', 'web-01', 'abcdefghijk', 'abcdefghijkl', 'abcdefghijklm', 'é', 'aé', 'a\u0000b', '\u0000', 'x'.repeat(40), null];
      const rows = 5000;
      for (let i = 0; i < rows; i++) {
        const s = values[(i * 7) % values.length]!;
        writer.setInteger(0, i);
        if (s === null) writer.setNull(1);
        else writer.setString(1, s);
        writer.endRow();
        native.appendBigInt(BigInt(i));
        if (s === null) native.appendNull();
        else native.appendVarchar(s);
        native.endRow();
      }
      writer.flush();
      chunked.closeSync();
      native.closeSync();
      const read = async (sql: string): Promise<unknown[][]> => (await connection.runAndReadAll(sql)).getRowsJS().map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
      expect(await read('SELECT i, s FROM chunked ORDER BY i')).to.deep.equal(await read('SELECT i, s FROM native ORDER BY i'));
      expect(await read('SELECT s, COUNT(*) FROM chunked GROUP BY s ORDER BY s NULLS LAST')).to.deep.equal(await read('SELECT s, COUNT(*) FROM native GROUP BY s ORDER BY s NULLS LAST'));
      expect(await read('SELECT COUNT(*) FROM chunked c JOIN native n ON c.i = n.i AND c.s = n.s')).to.deep.equal(await read('SELECT COUNT(*) FROM native WHERE s IS NOT NULL'));
      expect(await read("SELECT COUNT(*) FROM chunked WHERE s = 'web-01' OR s = 'abcdefghijkl'")).to.deep.equal(await read("SELECT COUNT(*) FROM native WHERE s = 'web-01' OR s = 'abcdefghijkl'"));
      expect(await read("SELECT COUNT(*) FROM chunked WHERE s = 'web-01'")).to.deep.equal([[Math.ceil(rows / values.length)]]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
