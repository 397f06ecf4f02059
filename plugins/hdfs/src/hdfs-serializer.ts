import { createSerializer, type EventSerializer, type SerializerName } from '@sluice/core';
import { CodecSerializer, hadoopCodec, type HadoopCodecName } from './hadoop-codecs.js';
import { SequenceFileSerializer, type WriteFormat } from './sequence-file-serializer.js';

/** Flume's `hdfs.fileType`: how a file's bytes are laid out. */
export type HdfsFileType = 'DataStream' | 'CompressedStream' | 'SequenceFile';

/** The keys of the hdfs sink config that choose the file format. */
export interface HdfsFormatConfig {
  fileType: HdfsFileType;
  writeFormat: WriteFormat;
  serializer: SerializerName;
  compression: HadoopCodecName;
}

/**
 * A fresh serializer for one file: a SequenceFile writer (block-compressed with a codec), or the
 * event serializer as is (`DataStream`) or compressed chunk by chunk (`CompressedStream`, or
 * `DataStream` with a codec).
 */
export function createHdfsSerializer(config: HdfsFormatConfig): EventSerializer {
  const codec = hadoopCodec(config.compression);
  if (config.fileType === 'SequenceFile') return new SequenceFileSerializer(config.writeFormat, codec);
  const inner = createSerializer(config.serializer);
  return codec ? new CodecSerializer(inner, codec) : inner;
}

/** What the schema cannot say about the format keys; paths are relative to the sink's config. */
export function hdfsFormatProblems(config: HdfsFormatConfig): { path: string; message: string; hint?: string }[] {
  if (config.fileType === 'CompressedStream' && config.compression === 'none') {
    return [{ path: '/compression', message: 'fileType CompressedStream needs a codec', hint: 'set compression to gzip, bzip2, snappy or lz4 (Flume hdfs.codeC), or use fileType DataStream' }];
  }
  return [];
}
