import { definePlugin } from '@sluice/core';
import { hdfsSink } from './hdfs-sink-definition.js';

export { HdfsSink, type HdfsSinkConfig } from './hdfs-sink.js';
export { hdfsSink } from './hdfs-sink-definition.js';
export { WebHdfsClient, type WebHdfsClientOptions, type FileStatus } from './webhdfs-client.js';

export default definePlugin({ name: '@sluice/plugin-hdfs', core: '^0.1.0', components: [hdfsSink] });
