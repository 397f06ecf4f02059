/**
 * A SequenceFile reader for the tests, written from Hadoop's SequenceFile format description
 * (org.apache.hadoop.io.SequenceFile javadoc: header, record and block-compressed layouts) and
 * independent of the sink's writer: codecs are undone by other implementations (Node's zlib for
 * gzip; Python's bz2, Debian's python3-snappy and python3-lz4, in fixtures/hadoop-decompress.py,
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
    records: {
        key: bigint;
        value: Buffer;
    }[];
}
/** The python helper sits beside the test sources; tests run from dist/test. */
export declare const DECOMPRESS: string;
/** Undoes several streams of one codec (by short or class name) with tools that are not ours, in one call. */
export declare function decompressAll(codec: string, streams: readonly Buffer[]): Buffer[];
/** Undoes one codec stream. */
export declare function decompress(codec: string, data: Buffer): Buffer;
export declare function readSequenceFile(file: Buffer): SequenceFileContents;
//# sourceMappingURL=sequence-file-reader.d.ts.map