import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';

/**
 * A SequenceFile reader for tests of sinks that write Hadoop files, written from Hadoop's SequenceFile format description
 * (org.apache.hadoop.io.SequenceFile javadoc: header, record and block-compressed layouts) and
 * independent of the sink's writer: codecs are undone by other implementations (Node's zlib for
 * gzip; Python's bz2, Debian's python3-snappy and python3-lz4, run as a Python script,
 * for bzip2 and Hadoop's block framing).
 */
export interface SequenceFileContents {
  keyClass: string;
  valueClass: string;
  compressed: boolean;
  blockCompressed: boolean;
  codec: string;
  sync: Buffer;
  syncMarkersSeen: number;
  records: { key: bigint; value: Buffer }[];
}

/** Run by Debian's /usr/bin/python3 with python3-snappy and python3-lz4 installed. */
const DECOMPRESS = String.raw`# Decompresses Hadoop codec streams for the hdfs sink tests with implementations independent of
# the sink's writer: Debian's python3-snappy and python3-lz4 for SnappyCodec and Lz4Codec in
# Hadoop's BlockCompressorStream framing, Python's bz2 (libbz2) for BZip2Codec.
# Framing (Hadoop's BlockDecompressorStream): repeated blocks of a 4-byte big-endian uncompressed
# length, then compressed chunks (4-byte big-endian length + raw codec bytes) until that many bytes
# are produced.
# Usage: hadoop-decompress.py snappy|lz4|bzip2. Stdin holds several streams, each as a 4-byte
# big-endian length and the bytes; stdout gets each decompressed stream the same way, in order.
import bz2
import struct
import sys

codec = sys.argv[1]
if codec == 'snappy':
    import snappy
    def raw(chunk, size):
        return snappy.uncompress(chunk)
elif codec == 'lz4':
    import lz4.block
    def raw(chunk, size):
        return lz4.block.decompress(chunk, uncompressed_size=size)


def block_framed(data):
    out = bytearray()
    pos = 0
    while pos < len(data):
        (expected,) = struct.unpack('>I', data[pos:pos + 4])
        pos += 4
        produced = 0
        while produced < expected:
            (length,) = struct.unpack('>I', data[pos:pos + 4])
            pos += 4
            piece = raw(data[pos:pos + length], expected - produced)
            pos += length
            produced += len(piece)
            out += piece
        if produced != expected:
            sys.exit('block produced %d bytes, header said %d' % (produced, expected))
    return bytes(out)


data = sys.stdin.buffer.read()
pos = 0
while pos < len(data):
    (length,) = struct.unpack('>I', data[pos:pos + 4])
    stream = data[pos + 4:pos + 4 + length]
    pos += 4 + length
    plain = bz2.decompress(stream) if codec == 'bzip2' else block_framed(stream)
    sys.stdout.buffer.write(struct.pack('>I', len(plain)) + plain)
`;

const SHORT_NAMES: Record<string, string> = {
  'org.apache.hadoop.io.compress.GzipCodec': 'gzip', 'org.apache.hadoop.io.compress.BZip2Codec': 'bzip2',
  'org.apache.hadoop.io.compress.SnappyCodec': 'snappy', 'org.apache.hadoop.io.compress.Lz4Codec': 'lz4',
};

/** Undoes several streams of one codec (by short or class name) with tools that are not ours, in one call. */
export function decompressHadoopStreams(codec: string, streams: readonly Buffer[]): Buffer[] {
  const name = SHORT_NAMES[codec] ?? codec;
  if (name === 'gzip') return streams.map((s) => (s.length === 0 ? s : gunzipSync(s)));
  if (!['bzip2', 'snappy', 'lz4'].includes(name)) throw new Error(`no reader for codec ${codec}`);
  const input = Buffer.concat(streams.flatMap((s) => [u32(s.length), s]));
  const output = execFileSync('/usr/bin/python3', ['-c', DECOMPRESS, name], { input, maxBuffer: 1 << 30 });
  const out: Buffer[] = [];
  for (let pos = 0; pos < output.length;) {
    const length = output.readUInt32BE(pos);
    out.push(output.subarray(pos + 4, pos + 4 + length));
    pos += 4 + length;
  }
  if (out.length !== streams.length) throw new Error(`decompressed ${out.length} of ${streams.length} streams`);
  return out;
}

/** Undoes one codec stream. */
export function decompressHadoopStream(codec: string, data: Buffer): Buffer {
  return decompressHadoopStreams(codec, [data])[0]!;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean { return this.pos >= this.buf.length; }
  byte(): number { return this.buf.readInt8(this.pos++); }
  int(): number { const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
  bytes(n: number): Buffer { const v = this.buf.subarray(this.pos, this.pos + n); if (v.length < n) throw new Error('truncated'); this.pos += n; return v; }
  /** WritableUtils.readVLong. */
  vlong(): number {
    const first = this.byte();
    if (first >= -112) return first;
    const negative = first < -120;
    const len = negative ? -(first + 120) : -(first + 112);
    let value = 0n;
    for (let i = 0; i < len; i++) value = (value << 8n) | BigInt(this.buf[this.pos++]!);
    return Number(negative ? ~value : value);
  }
  text(): string { return this.bytes(this.vlong()).toString('utf8'); }
}

function value(valueClass: string, raw: Buffer): Buffer {
  const c = new Cursor(raw);
  if (valueClass === 'org.apache.hadoop.io.BytesWritable') return c.bytes(c.int());
  if (valueClass === 'org.apache.hadoop.io.Text') return c.bytes(c.vlong());
  throw new Error(`unknown value class ${valueClass}`);
}

export function readSequenceFile(file: Buffer): SequenceFileContents {
  const c = new Cursor(file);
  if (c.bytes(3).toString('latin1') !== 'SEQ') throw new Error('not a SequenceFile');
  const version = c.byte();
  if (version !== 6) throw new Error(`version ${version}`);
  const keyClass = c.text();
  const valueClass = c.text();
  const compressed = c.byte() !== 0;
  const blockCompressed = c.byte() !== 0;
  const codec = compressed ? c.text() : '';
  const metadata = c.int();
  for (let i = 0; i < metadata; i++) { c.text(); c.text(); }
  const sync = c.bytes(16);
  const out: SequenceFileContents = { keyClass, valueClass, compressed, blockCompressed, codec, sync, syncMarkersSeen: 0, records: [] };
  const checkSync = (): void => {
    if (!c.bytes(16).equals(sync)) throw new Error(`bad sync marker at ${c.pos - 16}`);
    out.syncMarkersSeen++;
  };
  if (!blockCompressed) {
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    while (!c.done) {
      const length = c.int();
      if (length === -1) { checkSync(); continue; }
      const keyLength = c.int();
      if (keyLength !== 8) throw new Error(`LongWritable key of ${keyLength} bytes`);
      keys.push(c.bytes(keyLength));
      values.push(c.bytes(length - keyLength));
    }
    const plain = compressed ? decompressHadoopStreams(codec, values) : values;
    keys.forEach((key, i) => out.records.push({ key: key.readBigInt64BE(0), value: value(valueClass, plain[i]!) }));
    return out;
  }
  // Collect every block's four compressed sections first, to undo them all in one call.
  const blocks: { count: number; sections: Buffer[] }[] = [];
  while (!c.done) {
    if (c.int() !== -1) throw new Error('block without its sync escape');
    checkSync();
    const count = c.vlong();
    blocks.push({ count, sections: [0, 1, 2, 3].map(() => c.bytes(c.vlong())) });
  }
  const plain = decompressHadoopStreams(codec, blocks.flatMap((b) => b.sections));
  blocks.forEach((block, b) => {
    const [keyLengths, keys, valueLengths, values] = plain.slice(4 * b, 4 * b + 4).map((s) => new Cursor(s));
    for (let i = 0; i < block.count; i++) {
      const key = keys!.bytes(keyLengths!.vlong());
      out.records.push({ key: key.readBigInt64BE(0), value: value(valueClass, values!.bytes(valueLengths!.vlong())) });
    }
  });
  return out;
}
