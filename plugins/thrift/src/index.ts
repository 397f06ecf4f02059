import { definePlugin } from '@sluice/core';
import { thriftSink } from './thrift-sink.js';
import { thriftSource } from './thrift-source.js';

export * from './thrift-protocol.js';
export * from './thrift-source-protocol.js';
export * from './frame-decoder.js';
export * from './thrift-rpc-client.js';
export * from './thrift-source.js';
export * from './thrift-sink.js';

/** `@sluice/plugin-thrift`: the `thrift` source and sink, Flume's Thrift tier protocol. */
export default definePlugin({ name: '@sluice/plugin-thrift', core: '^0.1.0', components: [thriftSource, thriftSink] });
