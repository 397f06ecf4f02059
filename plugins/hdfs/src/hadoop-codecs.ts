import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { EventSerializer, SluiceEvent } from '@sluice/core';

/** Compression codecs of the hdfs sink, named as Flume's `hdfs.codeC` names them. */
export const HADOOP_CODEC_NAMES = ['none', 'gzip', 'bzip2', 'snappy', 'lz4'] as const;
export type HadoopCodecName = (typeof HADOOP_CODEC_NAMES)[number];

/**
 * One Hadoop compression codec: `compress` turns a chunk into bytes that Hadoop's codec (and the
 * usual command-line tool) reads, and whose concatenation is still a valid stream, so a file can
 * be appended to one batch at a time and closed after any of them.
 */
export interface HadoopCodec {
  readonly name: Exclude<HadoopCodecName, 'none'>;
  /** Hadoop's default extension (GzipCodec `.gz`, BZip2Codec `.bz2`, SnappyCodec `.snappy`, Lz4Codec `.lz4`). */
  readonly extension: string;
  /** The codec's Java class, as SequenceFile headers name it. */
  readonly className: string;
  compress(chunk: Buffer): Buffer;
}

const require = createRequire(import.meta.url);

/**
 * Hadoop's BlockCompressorStream framing, used by SnappyCodec and Lz4Codec: the input is cut into
 * blocks of at most `maxInput` bytes (Hadoop's buffer size minus the codec's overhead), each
 * written as its uncompressed length (4 bytes, big-endian) followed by one compressed chunk (its
 * length, 4 bytes, then the raw codec bytes).
 */
function blockFramed(chunk: Buffer, maxInput: number, raw: (block: Buffer) => Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < chunk.length; offset += maxInput) {
    const block = chunk.subarray(offset, Math.min(chunk.length, offset + maxInput));
    const compressed = raw(block);
    const lengths = Buffer.allocUnsafe(8);
    lengths.writeUInt32BE(block.length, 0);
    lengths.writeUInt32BE(compressed.length, 4);
    parts.push(lengths, compressed);
  }
  return Buffer.concat(parts);
}

/** Hadoop's io.compression.codec.*.buffersize default. */
const BUFFER_SIZE = 256 * 1024;

let snappy: { compressSync(data: Buffer): Buffer } | undefined;
let lz4: { compressSync(data: Buffer): Buffer } | undefined;
let bzip2: { compressFile(data: Buffer, out?: undefined, level?: number): Uint8Array } | undefined;

const CODECS: Record<HadoopCodec['name'], HadoopCodec> = {
  gzip: { name: 'gzip', extension: 'gz', className: 'org.apache.hadoop.io.compress.GzipCodec', compress: (chunk) => gzipSync(chunk, { level: 6 }) },
  bzip2: {
    name: 'bzip2', extension: 'bz2', className: 'org.apache.hadoop.io.compress.BZip2Codec',
    // Concatenated bzip2 streams are one valid file for bzip2(1) and for Hadoop's BZip2Codec.
    compress: (chunk) => Buffer.from((bzip2 ??= (require('compressjs') as { Bzip2: NonNullable<typeof bzip2> }).Bzip2).compressFile(chunk, undefined, 9)),
  },
  snappy: {
    name: 'snappy', extension: 'snappy', className: 'org.apache.hadoop.io.compress.SnappyCodec',
    compress: (chunk) => blockFramed(chunk, BUFFER_SIZE - (Math.floor(BUFFER_SIZE / 6) + 32), (block) => (snappy ??= require('snappy') as NonNullable<typeof snappy>).compressSync(block)),
  },
  lz4: {
    name: 'lz4', extension: 'lz4', className: 'org.apache.hadoop.io.compress.Lz4Codec',
    // lz4-napi prepends the uncompressed size (4 bytes, little-endian) to the raw LZ4 block; Hadoop's framing has its own.
    compress: (chunk) => blockFramed(chunk, BUFFER_SIZE - (Math.floor(BUFFER_SIZE / 255) + 16), (block) => (lz4 ??= require('lz4-napi') as NonNullable<typeof lz4>).compressSync(block).subarray(4)),
  },
};

/** The codec of a name; undefined for `none`. */
export function hadoopCodec(name: HadoopCodecName): HadoopCodec | undefined {
  return name === 'none' ? undefined : CODECS[name];
}

/**
 * Wraps a serializer so every chunk it produces (header, each batch, footer) is compressed on its
 * own by a Hadoop codec: what Flume's `hdfs.fileType = CompressedStream` writes, readable by
 * `hadoop fs -text` and by each codec's own tool (zcat, bzcat; snappy and lz4 in Hadoop's
 * block framing).
 */
export class CodecSerializer implements EventSerializer {
  readonly extension: string;

  constructor(private readonly inner: EventSerializer, private readonly codec: HadoopCodec) {
    this.extension = `${inner.extension}.${codec.extension}`;
  }

  header(): Buffer {
    return this.compress(this.inner.header?.());
  }

  serialize(events: readonly SluiceEvent[]): Buffer {
    return this.compress(this.inner.serialize(events));
  }

  footer(): Buffer {
    return this.compress(this.inner.footer?.());
  }

  private compress(chunk: Buffer | undefined): Buffer {
    return chunk && chunk.length > 0 ? this.codec.compress(chunk) : Buffer.alloc(0);
  }
}
