import { definePlugin } from '@sluice/core';
import { execSource } from './exec-definition.js';
import { csvToJsonInterceptor } from './csv-to-json-interceptor.js';
import { logToJsonInterceptor } from './log-to-json-interceptor.js';
import { singleLineInterceptor } from './single-line-interceptor.js';
import { spooldirSource } from './spooldir-definition.js';
import { taildirSource } from './taildir-definition.js';

export { TaildirSource, type TaildirSourceConfig } from './taildir-source.js';
export { taildirSource } from './taildir-definition.js';
export { SpooldirSource, FAILED_SUFFIX, type SpooldirSourceConfig } from './spooldir-source.js';
export { spooldirSource } from './spooldir-definition.js';
export { ExecSource, execArgv, type ExecSourceConfig } from './exec-source.js';
export { execSource, execSourceProblems } from './exec-definition.js';
export { ProcessGroup, type GroupExit } from './process-group.js';
export { SingleLineInterceptor, singleLineInterceptor, type SingleLineConfig } from './single-line-interceptor.js';
export { CsvToJsonInterceptor, csvToJsonInterceptor, type CsvToJsonConfig } from './csv-to-json-interceptor.js';
export { LogToJsonInterceptor, logToJsonInterceptor, type LogToJsonConfig } from './log-to-json-interceptor.js';
export { splitDelimited } from './csv-record.js';
export { RecordReader, type ReadyRecord, type RecordReaderOptions, type OverflowPolicy } from './record-reader.js';

/** The file plugin: taildir, spooldir and exec sources and the Kinesis-agent record conversions. */
export default definePlugin({ name: '@sluice/plugin-file', core: '^0.1.0', components: [taildirSource, spooldirSource, execSource, singleLineInterceptor, csvToJsonInterceptor, logToJsonInterceptor] });
