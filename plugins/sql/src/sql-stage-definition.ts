import { defineComponent } from '@sluice/core';
import { checkSqlStage, SQL_STAGE_SCHEMA, type SqlStageConfig } from './sql-stage-config.js';
import { SqlStage } from './sql-stage.js';
import { verifySqlStage } from './verify-sql-stage.js';

/** The `sql` stage component: continuous SQL over windows of events (see {@link SqlStage}). */
export const sqlStage = defineComponent({
  kind: 'stage',
  type: 'sql',
  description: 'Continuous SQL (DuckDB) over tumbling, hopping or session windows of JSON events; each result row becomes a JSON event with windowStart, windowEnd and windowId headers.',
  guarantee: 'The stage rule (docs/spec/stage.md): a take commits only after its events are checkpointed in dataDir (fsync), so with a durable input channel no event is lost and each counts once per window, even across crashes; a window may be emitted again only after a crash between committing its results and recording that, with the same windowId and identical rows. Bad and late events are counted and dead-lettered.',
  schema: SQL_STAGE_SCHEMA as never,
  check: (config: SqlStageConfig) => checkSqlStage(config),
  verify: (config: SqlStageConfig) => verifySqlStage(config),
  create: (config, ctx) => new SqlStage(config, ctx),
});
