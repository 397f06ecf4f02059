import { definePlugin } from '@sluice/core';
import { hdfsSink } from './hdfs-sink-definition.js';

export { HdfsSink, type HdfsSinkConfig } from './hdfs-sink.js';
export { hdfsSink } from './hdfs-sink-definition.js';
export { CodecSerializer, hadoopCodec, HADOOP_CODEC_NAMES, type HadoopCodec, type HadoopCodecName } from './hadoop-codecs.js';
export { SequenceFileSerializer, writeVLong, type WriteFormat } from './sequence-file-serializer.js';
export { createHdfsSerializer, type HdfsFileType, type HdfsFormatConfig } from './hdfs-serializer.js';
export { WebHdfsClient, type WebHdfsClientOptions, type FileStatus } from './webhdfs-client.js';

export default definePlugin({ name: '@sluice/plugin-hdfs', core: '^0.1.0', components: [hdfsSink] });
