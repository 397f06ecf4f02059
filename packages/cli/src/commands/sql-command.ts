import { readTopology } from '@sluice/config';
import { loadTopology } from '@sluice/agent';
import type { SluiceEvent } from '@sluice/core';
import { reportLoadFailure } from './report-load-failure.js';

/** What the CLI uses of `@sluice/plugin-sql` (imported on demand: the CLI does not depend on it). */
interface SqlPluginModule {
  discoverSchemaOfFile(file: string): Promise<{ yaml: string; format: string; records: number; skipped: number }>;
  runStageOnSample(config: unknown, file: string, name?: string): Promise<{ results: SluiceEvent[]; records: number; bad: number; late: number }>;
}

/** Options of `sluice sql`. */
export interface SqlCommandOptions {
  sub: string | undefined;
  args: string[];
  file?: string | undefined;
  name?: string | undefined;
  stage?: string | undefined;
  input?: string | undefined;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const SQL_USAGE = `Usage:
  sluice sql discover FILE                                   infer a sql stage schema from JSON lines, CSV (with header) or log_to_json output; prints YAML
  sluice sql run -f FILE [-n NAME] --stage STAGE --input FILE run a sql stage's query over a sample file and print the result rows
`;

async function loadSqlPlugin(err: NodeJS.WritableStream): Promise<SqlPluginModule | undefined> {
  try {
    return await import('@sluice/plugin-sql' as string) as SqlPluginModule;
  } catch (error) {
    err.write(`sluice sql: @sluice/plugin-sql is not installed (${(error as Error).message}); run npm install @sluice/plugin-sql\n`);
    return undefined;
  }
}

/**
 * `sluice sql discover FILE` prints the `schema:` to paste into a sql stage, inferred from sample
 * records; `sluice sql run` validates the topology, runs one stage's query over a sample file (all
 * windows closed at the end) and prints one line per result row with its window. Exit 0, 1 on
 * bad input or an invalid topology, 2 on usage errors.
 */
export async function sqlCommand(options: SqlCommandOptions): Promise<number> {
  const { out, err } = options;
  if (options.sub === 'discover') {
    const file = options.args[0];
    if (!file) {
      err.write(`sluice sql discover: FILE is required\n\n${SQL_USAGE}`);
      return 2;
    }
    const sql = await loadSqlPlugin(err);
    if (!sql) return 1;
    try {
      const found = await sql.discoverSchemaOfFile(file);
      if (found.records === 0) {
        err.write(`${file}: no records found (expected JSON lines or CSV with a header row)\n`);
        return 1;
      }
      out.write(found.yaml);
      err.write(`${file}: ${found.records} ${found.format === 'csv' ? 'CSV rows' : 'JSON records'}${found.skipped > 0 ? `, ${found.skipped} lines skipped (not records)` : ''}\n`);
      return 0;
    } catch (error) {
      err.write(`sluice sql discover: ${(error as Error).message}\n`);
      return 1;
    }
  }
  if (options.sub === 'run') {
    if (!options.file || !options.stage || !options.input) {
      err.write(`sluice sql run: -f FILE, --stage STAGE and --input FILE are required\n\n${SQL_USAGE}`);
      return 2;
    }
    let config: unknown;
    try {
      const { model } = await loadTopology(await readTopology(options.file), options.name === undefined ? {} : { agent: options.name });
      const agents = Object.values(model.agents);
      const agent = options.name === undefined && agents.length === 1 ? agents[0] : options.name === undefined ? undefined : model.agents[options.name];
      if (!agent) {
        err.write(`${options.file} defines ${agents.length} agents; choose one with -n NAME\n`);
        return 1;
      }
      const stage = agent.stages[options.stage];
      if (!stage || stage.type !== 'sql') {
        err.write(`${options.file}: agent '${agent.name}' has no sql stage '${options.stage}' (stages: ${Object.keys(agent.stages).join(', ') || 'none'})\n`);
        return 1;
      }
      config = stage.config;
    } catch (error) {
      return reportLoadFailure(error, options.file, err);
    }
    const sql = await loadSqlPlugin(err);
    if (!sql) return 1;
    try {
      const run = await sql.runStageOnSample(config, options.input, options.stage);
      for (const event of run.results) {
        const start = new Date(Number(event.headers.windowStart)).toISOString();
        const end = new Date(Number(event.headers.windowEnd)).toISOString();
        out.write(`${start} .. ${end}  ${event.body.toString('utf8')}\n`);
      }
      err.write(`${run.records} records, ${run.bad} bad, ${run.late} late; ${run.results.length} result rows\n`);
      return 0;
    } catch (error) {
      err.write(`sluice sql run: ${(error as Error).message}\n`);
      return 1;
    }
  }
  err.write(`sluice sql: expected discover or run\n\n${SQL_USAGE}`);
  return 2;
}
