import { definePlugin } from '@sluice/core';
import { elasticsearchSink } from './elasticsearch-sink-definition.js';

export { elasticsearchSink } from './elasticsearch-sink-definition.js';
export { ElasticsearchSink, type ElasticsearchSinkConfig } from './elasticsearch-sink.js';
export { eventDocument, fieldValue, type DocumentFormat } from './document-formats.js';
export { IndexNamer, type IndexNameBuilderName } from './index-namer.js';

/** `@sluice/plugin-elasticsearch`: the `elasticsearch` sink. */
export default definePlugin({ name: '@sluice/plugin-elasticsearch', core: '^0.1.0', components: [elasticsearchSink] });
