import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The python helper sits beside the test sources; tests run from dist/test. */
export const DECOMPRESS = path.resolve(HERE, '../../test/fixtures/hadoop-decompress.py');
const SHORT_NAMES = {
    'org.apache.hadoop.io.compress.GzipCodec': 'gzip', 'org.apache.hadoop.io.compress.BZip2Codec': 'bzip2',
    'org.apache.hadoop.io.compress.SnappyCodec': 'snappy', 'org.apache.hadoop.io.compress.Lz4Codec': 'lz4',
};
/** Undoes several streams of one codec (by short or class name) with tools that are not ours, in one call. */
export function decompressAll(codec, streams) {
    const name = SHORT_NAMES[codec] ?? codec;
    if (name === 'gzip')
        return streams.map((s) => (s.length === 0 ? s : gunzipSync(s)));
    if (!['bzip2', 'snappy', 'lz4'].includes(name))
        throw new Error(`no reader for codec ${codec}`);
    const input = Buffer.concat(streams.flatMap((s) => [u32(s.length), s]));
    const output = execFileSync('/usr/bin/python3', [DECOMPRESS, name], { input, maxBuffer: 1 << 30 });
    const out = [];
    for (let pos = 0; pos < output.length;) {
        const length = output.readUInt32BE(pos);
        out.push(output.subarray(pos + 4, pos + 4 + length));
        pos += 4 + length;
    }
    if (out.length !== streams.length)
        throw new Error(`decompressed ${out.length} of ${streams.length} streams`);
    return out;
}
/** Undoes one codec stream. */
export function decompress(codec, data) {
    return decompressAll(codec, [data])[0];
}
function u32(n) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(n, 0);
    return b;
}
class Cursor {
    buf;
    pos = 0;
    constructor(buf) {
        this.buf = buf;
    }
    get done() { return this.pos >= this.buf.length; }
    byte() { return this.buf.readInt8(this.pos++); }
    int() { const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
    bytes(n) { const v = this.buf.subarray(this.pos, this.pos + n); if (v.length < n)
        throw new Error('truncated'); this.pos += n; return v; }
    /** WritableUtils.readVLong. */
    vlong() {
        const first = this.byte();
        if (first >= -112)
            return first;
        const negative = first < -120;
        const len = negative ? -(first + 120) : -(first + 112);
        let value = 0n;
        for (let i = 0; i < len; i++)
            value = (value << 8n) | BigInt(this.buf[this.pos++]);
        return Number(negative ? ~value : value);
    }
    text() { return this.bytes(this.vlong()).toString('utf8'); }
}
function value(valueClass, raw) {
    const c = new Cursor(raw);
    if (valueClass === 'org.apache.hadoop.io.BytesWritable')
        return c.bytes(c.int());
    if (valueClass === 'org.apache.hadoop.io.Text')
        return c.bytes(c.vlong());
    throw new Error(`unknown value class ${valueClass}`);
}
export function readSequenceFile(file) {
    const c = new Cursor(file);
    if (c.bytes(3).toString('latin1') !== 'SEQ')
        throw new Error('not a SequenceFile');
    const version = c.byte();
    if (version !== 6)
        throw new Error(`version ${version}`);
    const keyClass = c.text();
    const valueClass = c.text();
    const compressed = c.byte() !== 0;
    const blockCompressed = c.byte() !== 0;
    const codec = compressed ? c.text() : '';
    const metadata = c.int();
    for (let i = 0; i < metadata; i++) {
        c.text();
        c.text();
    }
    const sync = c.bytes(16);
    const out = { keyClass, valueClass, compressed, blockCompressed, codec, sync, syncMarkersSeen: 0, records: [] };
    const checkSync = () => {
        if (!c.bytes(16).equals(sync))
            throw new Error(`bad sync marker at ${c.pos - 16}`);
        out.syncMarkersSeen++;
    };
    if (!blockCompressed) {
        const keys = [];
        const values = [];
        while (!c.done) {
            const length = c.int();
            if (length === -1) {
                checkSync();
                continue;
            }
            const keyLength = c.int();
            if (keyLength !== 8)
                throw new Error(`LongWritable key of ${keyLength} bytes`);
            keys.push(c.bytes(keyLength));
            values.push(c.bytes(length - keyLength));
        }
        const plain = compressed ? decompressAll(codec, values) : values;
        keys.forEach((key, i) => out.records.push({ key: key.readBigInt64BE(0), value: value(valueClass, plain[i]) }));
        return out;
    }
    // Collect every block's four compressed sections first, to undo them all in one call.
    const blocks = [];
    while (!c.done) {
        if (c.int() !== -1)
            throw new Error('block without its sync escape');
        checkSync();
        const count = c.vlong();
        blocks.push({ count, sections: [0, 1, 2, 3].map(() => c.bytes(c.vlong())) });
    }
    const plain = decompressAll(codec, blocks.flatMap((b) => b.sections));
    blocks.forEach((block, b) => {
        const [keyLengths, keys, valueLengths, values] = plain.slice(4 * b, 4 * b + 4).map((s) => new Cursor(s));
        for (let i = 0; i < block.count; i++) {
            const key = keys.bytes(keyLengths.vlong());
            out.records.push({ key: key.readBigInt64BE(0), value: value(valueClass, values.bytes(valueLengths.vlong())) });
        }
    });
    return out;
}
//# sourceMappingURL=sequence-file-reader.js.map