import { definePlugin } from '@sluice/core';
import { sqlStage } from './sql-stage-definition.js';

export { sqlStage } from './sql-stage-definition.js';
export { SqlStage, DROP_REASON_HEADER, type SqlStageOptions } from './sql-stage.js';
export { SQL_STAGE_SCHEMA, COLUMN_TYPES, checkSqlStage, columnsOf, planWindow, type SqlStageConfig, type ColumnSpec, type ColumnType, type Column, type WindowPlan } from './sql-stage-config.js';
export { WindowState, type OpenWindow } from './window-state.js';
export { RowReader, convert, toEpochMs } from './row-reader.js';
export { verifySqlStage } from './verify-sql-stage.js';
export { discoverSchema, renderSchemaYaml, type DiscoveredColumn } from './discover-schema.js';
export { runStageOnSample, type SampleRun } from './run-sample.js';
export { discoverSchemaOfFile } from './discover-schema.js';
export { readSampleRecords, splitCsv, type SampleRecords } from './sample-records.js';

/** The sql plugin: the `sql` stage. DuckDB is imported only when a sql stage starts or is verified. */
export default definePlugin({ name: '@sluice/plugin-sql', core: '^0.1.0', components: [sqlStage] });
