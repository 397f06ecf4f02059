import { definePlugin } from '@sluice/core';
import { httpSink } from './http-sink.js';
import { httpSource } from './http-source.js';

export { HttpSource, httpSource, type HttpSourceConfig } from './http-source.js';
export { HttpSink, httpSink, type HttpSinkConfig } from './http-sink.js';
export { encodeBatch, type BatchFormat } from './batch-encoder.js';
export { countJsonArrayItems } from './json-item-counter.js';
export { HANDLERS, jsonHandler, ndjsonHandler, blobHandler, type HandlerName, type RequestHandler, type RequestBody } from './request-handlers.js';
export { HttpStatusError } from './http-status-error.js';

/** `@sluice/plugin-http`: the `http` source and the `http` sink. */
export default definePlugin({ name: '@sluice/plugin-http', core: '^0.1.0', components: [httpSource, httpSink] });
