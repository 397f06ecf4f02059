import { definePlugin } from '@sluice/core';
import { taildirSource } from './taildir-definition.js';

export { TaildirSource, type TaildirSourceConfig } from './taildir-source.js';
export { taildirSource } from './taildir-definition.js';
export { RecordReader, type ReadyRecord, type RecordReaderOptions, type OverflowPolicy } from './record-reader.js';

/** The file plugin: taildir and spooldir sources and the Kinesis-agent record conversions. */
export default definePlugin({ name: '@sluice/plugin-file', core: '^0.1.0', components: [taildirSource] });
