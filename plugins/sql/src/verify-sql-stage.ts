import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '@sluice/core';
import { columnDdl, loadDuckDB, referenceTableSql } from './duck-engine.js';
import { checkSqlStage, columnsOf, type SqlStageConfig } from './sql-stage-config.js';

/**
 * The sql stage's `verify` (the asynchronous half of its check): prepares the query in a throwaway
 * in-memory DuckDB holding an empty `events` table of the declared schema and the reference tables
 * loaded from their files, so a syntax error, an unknown column or table, or a type mismatch is
 * reported by `sluice validate` (path `/query`) instead of at the first window. A missing or
 * unreadable reference file is reported at `/tables/NAME/file`. Never throws.
 */
export async function verifySqlStage(config: SqlStageConfig): Promise<Problem[]> {
  if (checkSqlStage(config).length > 0) return [];
  const problems: Problem[] = [];
  const duckdb = await loadDuckDB();
  const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    await connection.run(`CREATE TABLE events (${columnDdl(columnsOf(config.schema))})`);
    for (const [name, table] of Object.entries(config.tables)) {
      const file = path.resolve(table.file);
      try {
        await access(file);
        await connection.run(referenceTableSql(name, table));
      } catch (error) {
        problems.push({ path: `/tables/${name}/file`, message: `cannot load reference table '${name}' from ${file}: ${firstLine(error)}`, hint: 'point file at a CSV file with a header row, or a JSON array / JSON lines file' });
      }
    }
    if (problems.length > 0) return problems;
    try {
      await connection.prepare(config.query);
    } catch (error) {
      problems.push({ path: '/query', message: `the query does not run over the declared schema: ${firstLine(error)}`, hint: `the table is events(${Object.keys(config.schema).join(', ')})${Object.keys(config.tables).length > 0 ? ` with reference tables ${Object.keys(config.tables).join(', ')}` : ''}` });
    }
    return problems;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's message up to the caret picture, on one line. */
function firstLine(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return message.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('LINE ') && !/^\s*\^/.test(l)).join(' ').trim();
}
