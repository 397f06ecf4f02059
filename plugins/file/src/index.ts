import { definePlugin } from '@sluice/core';
import { csvToJsonInterceptor } from './csv-to-json-interceptor.js';
import { logToJsonInterceptor } from './log-to-json-interceptor.js';
import { singleLineInterceptor } from './single-line-interceptor.js';
import { spooldirSource } from './spooldir-definition.js';
import { taildirSource } from './taildir-definition.js';

export { TaildirSource, type TaildirSourceConfig } from './taildir-source.js';
export { taildirSource } from './taildir-definition.js';
export { SpooldirSource, FAILED_SUFFIX, type SpooldirSourceConfig } from './spooldir-source.js';
export { spooldirSource } from './spooldir-definition.js';
export { SingleLineInterceptor, singleLineInterceptor, type SingleLineConfig } from './single-line-interceptor.js';
export { CsvToJsonInterceptor, csvToJsonInterceptor, type CsvToJsonConfig } from './csv-to-json-interceptor.js';
export { LogToJsonInterceptor, logToJsonInterceptor, type LogToJsonConfig } from './log-to-json-interceptor.js';
export { splitDelimited } from './csv-record.js';
export { RecordReader, type ReadyRecord, type RecordReaderOptions, type OverflowPolicy } from './record-reader.js';

/** The file plugin: taildir and spooldir sources and the Kinesis-agent record conversions. */
export default definePlugin({ name: '@sluice/plugin-file', core: '^0.1.0', components: [taildirSource, spooldirSource, singleLineInterceptor, csvToJsonInterceptor, logToJsonInterceptor] });
