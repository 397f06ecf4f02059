import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ChunkWriter, type ChunkColumnType } from './chunk-writer.js';
import type { Column, ReferenceTableConfig, WindowPlan } from './sql-stage-config.js';
import type { OpenWindow } from './window-state.js';

type DuckDB = typeof import('@duckdb/node-api');
type Connection = import('@duckdb/node-api').DuckDBConnection;
type Instance = import('@duckdb/node-api').DuckDBInstance;
type Appender = import('@duckdb/node-api').DuckDBAppender;

/** Quotes an SQL identifier. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

const SQL_TYPE: Record<Column['type'], string> = {
  varchar: 'VARCHAR', integer: 'BIGINT', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP',
};

/** DuckDB, imported on first use only: a topology without a sql stage never loads it. */
export async function loadDuckDB(): Promise<DuckDB> {
  return import('@duckdb/node-api');
}

/** The `CREATE TABLE` column list of the declared schema (plus the stage's own columns). */
export function columnDdl(columns: readonly Column[], extra: string[] = []): string {
  return [...columns.map((c) => `${ident(c.name)} ${SQL_TYPE[c.type]}`), ...extra].join(', ');
}

/** The SQL that loads a reference table from its file. */
export function referenceTableSql(name: string, table: ReferenceTableConfig): string {
  const format = table.format ?? (/\.csv$/i.test(table.file) ? 'csv' : 'json');
  const file = path.resolve(table.file);
  return `CREATE OR REPLACE TABLE ${ident(name)} AS SELECT * FROM ${format === 'csv' ? 'read_csv_auto' : 'read_json_auto'}(${literal(file)})`;
}

/** Converts a DuckDB JS value to what goes into a result event's JSON. */
function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value;
}

/**
 * The DuckDB side of one sql stage: an in-memory database holding the rows of every open window in
 * the table `_rows` (the declared columns plus `_t` event time, and `_w` watermark at arrival for
 * hopping windows or `_k` session key for session windows), fed through one appender a data chunk
 * at a time (see {@link ChunkWriter}). To evaluate a window it copies
 * the window's rows, in arrival order, into the table `events` and runs the user's query there.
 * Reference tables are (re)loaded from their files when the file's size or mtime changed.
 * Used by the sql stage only, one call at a time.
 */
export class DuckEngine {
  private appender: Appender | undefined;
  private writer: ChunkWriter | undefined;
  /** Per declared column, how its values are written (see {@link append}). */
  private readonly kinds: Uint8Array;
  /** The plan's own columns after the declared ones: 0 `_t`, 1 `_t, _w`, 2 `_t, _k`. */
  private readonly internal: number;
  private readonly tableStamps = new Map<string, string>();
  private readonly selectList: string;

  private constructor(
    private readonly duckdb: DuckDB,
    private readonly instance: Instance,
    private readonly connection: Connection,
    private readonly columns: readonly Column[],
    private readonly plan: WindowPlan,
    private readonly tables: Readonly<Record<string, ReferenceTableConfig>>,
  ) {
    this.kinds = Uint8Array.from(columns.map((c) => WRITE_KIND[c.type]));
    this.internal = plan.type === 'hopping' ? 1 : plan.type === 'session' ? 2 : 0;
    this.selectList = columns.map((c) => ident(c.name)).join(', ');
  }

  static async open(columns: readonly Column[], plan: WindowPlan, tables: Readonly<Record<string, ReferenceTableConfig>>, threads: number): Promise<DuckEngine> {
    const duckdb = await loadDuckDB();
    const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: String(threads) });
    const connection = await instance.connect();
    const engine = new DuckEngine(duckdb, instance, connection, columns, plan, tables);
    await connection.run(`CREATE TABLE _rows (${columnDdl(columns, internalColumns(plan))})`);
    await connection.run(`CREATE TABLE events (${columnDdl(columns)})`);
    await engine.refreshTables();
    engine.appender = await connection.createAppender('_rows');
    engine.writer = await ChunkWriter.create(duckdb, engine.appender, [...columns.map((c) => CHUNK_TYPE[c.type]), ...internalTypes(plan)]);
    return engine;
  }

  /** Appends one row of an open window; rows become visible to queries on the next {@link flush}. */
  append(values: readonly unknown[], t: number, w: number, key: string): void {
    const writer = this.writer!;
    const { kinds } = this;
    const n = kinds.length;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null) {
        writer.setNull(i);
        continue;
      }
      switch (kinds[i]) {
        case VARCHAR: writer.setString(i, v as string); break;
        case INTEGER: writer.setInteger(i, v as number); break;
        case DOUBLE: writer.setDouble(i, v as number); break;
        case BOOLEAN: writer.setBoolean(i, v as boolean); break;
        default: writer.setTimestamp(i, v as number);
      }
    }
    writer.setDouble(n, t);
    if (this.internal === 1) {
      if (Number.isFinite(w)) writer.setDouble(n + 1, w);
      else writer.setNull(n + 1);
    } else if (this.internal === 2) {
      writer.setString(n + 1, key);
    }
    writer.endRow();
  }

  flush(): void {
    this.writer?.flush();
    this.appender?.flushSync();
  }

  /** Reloads the reference tables whose files changed since they were loaded. */
  async refreshTables(): Promise<void> {
    for (const [name, table] of Object.entries(this.tables)) {
      const info = await stat(path.resolve(table.file));
      const stamp = `${info.size}:${info.mtimeMs}`;
      if (this.tableStamps.get(name) === stamp) continue;
      await this.connection.run(referenceTableSql(name, table));
      this.tableStamps.set(name, stamp);
    }
  }

  /** Runs `query` over the rows of `window` and returns the result rows as JSON-ready objects. */
  async evaluate(window: OpenWindow, query: string): Promise<Record<string, unknown>[]> {
    this.flush();
    await this.connection.run('DELETE FROM events');
    await this.connection.run(`INSERT INTO events SELECT ${this.selectList} FROM _rows WHERE ${this.where(window)}`);
    const reader = await this.connection.runAndReadAll(query);
    return reader.getRowObjectsJS().map((row) => jsonValue(row) as Record<string, unknown>);
  }

  private where(window: OpenWindow): string {
    if (this.plan.type === 'session') return `_k = ${literal(window.key)} AND _t >= ${window.start} AND _t <= ${window.last}`;
    const range = `_t >= ${window.start} AND _t < ${window.end}`;
    return this.plan.type === 'hopping' ? `${range} AND (_w IS NULL OR _w < ${window.end})` : range;
  }

  /** Drops rows no open window needs: those of an emitted session, or before the earliest open start. */
  async discard(emitted: readonly OpenWindow[], earliestOpenStart: number | undefined): Promise<void> {
    this.flush();
    if (this.plan.type === 'session') {
      for (const w of emitted) await this.connection.run(`DELETE FROM _rows WHERE ${this.where(w)}`);
    } else if (earliestOpenStart === undefined) {
      await this.connection.run('DELETE FROM _rows');
    } else {
      await this.connection.run(`DELETE FROM _rows WHERE _t < ${earliestOpenStart}`);
    }
  }

  /** Writes every held row, in arrival order, to a Parquet file (the checkpoint snapshot). */
  async exportRows(file: string): Promise<void> {
    this.flush();
    await this.connection.run(`COPY (SELECT * FROM _rows) TO ${literal(file)} (FORMAT parquet)`);
  }

  /** Loads rows written by {@link exportRows}. */
  async importRows(file: string): Promise<void> {
    this.flush();
    await this.connection.run(`INSERT INTO _rows SELECT * FROM read_parquet(${literal(file)})`);
  }

  close(): void {
    try {
      this.writer?.flush();
      this.appender?.closeSync();
    } catch {
      // closing flushes; a failure here only concerns rows the checkpoint still holds
    }
    this.appender = undefined;
    this.writer = undefined;
    this.connection.closeSync();
    this.instance.closeSync();
  }

  get module(): DuckDB {
    return this.duckdb;
  }
}

/** The stage's own columns of `_rows`: event time, plus the arrival watermark (hopping) or the session key. */
function internalColumns(plan: WindowPlan): string[] {
  if (plan.type === 'hopping') return ['_t DOUBLE', '_w DOUBLE'];
  if (plan.type === 'session') return ['_t DOUBLE', '_k VARCHAR'];
  return ['_t DOUBLE'];
}

/** The stage's own columns' types, as {@link internalColumns} declares them. */
function internalTypes(plan: WindowPlan): ChunkColumnType[] {
  if (plan.type === 'hopping') return ['double', 'double'];
  if (plan.type === 'session') return ['double', 'varchar'];
  return ['double'];
}

const CHUNK_TYPE: Record<Column['type'], ChunkColumnType> = {
  varchar: 'varchar', integer: 'bigint', bigint: 'bigint', double: 'double', boolean: 'boolean', timestamp: 'timestamp',
};

/** How {@link DuckEngine.append} writes a (non-null, already converted) value of a column type; timestamps are epoch ms. */
const VARCHAR = 0;
const INTEGER = 1;
const DOUBLE = 2;
const BOOLEAN = 3;
const TIMESTAMP = 4;
const WRITE_KIND: Record<Column['type'], number> = {
  varchar: VARCHAR, integer: INTEGER, bigint: INTEGER, double: DOUBLE, boolean: BOOLEAN, timestamp: TIMESTAMP,
};
