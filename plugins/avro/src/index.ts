import { definePlugin } from '@sluice/core';
import { avroSink } from './avro-sink.js';
import { avroSource } from './avro-source.js';

export * from './avro-binary.js';
export * from './avro-source-protocol.js';
export * from './netty-frame.js';
export * from './ip-filter.js';
export * from './avro-rpc-client.js';
export * from './avro-source.js';
export * from './avro-sink.js';

/** `@sluice/plugin-avro`: the `avro` source and sink, Flume's tier protocol. */
export default definePlugin({ name: '@sluice/plugin-avro', core: '^0.1.0', components: [avroSource, avroSink] });
