import { expect } from 'chai';
import fc from 'fast-check';

/**
 * Helpers for fuzz targets of wire decoders (frame decoders, protocol readers): mutated seed
 * messages, a stream cut into reads, and a cheap equality check for the hot loop.
 */

/** The bytes of a fast-check `Uint8Array` as a Buffer, without copying. */
export function bytesView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Cuts `stream` into the reads a socket might deliver: at each of `cuts` taken modulo
 * `stream.length + 1`, sorted, duplicates dropped. The chunks (some possibly empty) concatenate
 * back to `stream`.
 */
export function splitAt(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...at, stream.length]) {
    chunks.push(stream.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

/**
 * Asserts deep equality at the cost of two JSON.stringify calls, falling back to chai's
 * `deep.equal` (and its diff) only when they differ: fuzz cases run a million times. Only for
 * JSON-shaped values (no Buffers, Maps or undefined that must count).
 */
export function expectSameJson(actual: unknown, expected: unknown, what?: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual, what).to.deep.equal(expected);
}

/** Weights and sizes of {@link mutatedBytes}. */
export interface MutatedBytesOptions {
  /** Weight of mutated seeds against random bytes (weight 1). */
  seedWeight: number;
  /** Longest run of random bytes. */
  randomMaxLength: number;
}

/**
 * Messages worth feeding a decoder: one of `seeds` (picked modulo their number) with up to three
 * bytes removed, inserted or replaced, or plain random bytes. Mutated seeds get past the first
 * checks of a format and reach the code behind them, where random bytes rarely do.
 */
export function mutatedBytes(seeds: readonly Buffer[], options: MutatedBytesOptions): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: options.seedWeight, arbitrary: fc.tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.nat({ max: 255 })), { maxLength: 3 })).map(([which, edits]) => {
      let bytes = Buffer.from(seeds[which % seeds.length]!);
      for (const [at, kind, value] of edits) {
        const p = at % (bytes.length + 1);
        if (kind === 0) bytes = Buffer.concat([bytes.subarray(0, p), bytes.subarray(p + 1)]);
        else if (kind === 1 || p === bytes.length) bytes = Buffer.concat([bytes.subarray(0, p), Buffer.from([value]), bytes.subarray(p)]);
        else bytes[p] = value;
      }
      return new Uint8Array(bytes);
    }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: options.randomMaxLength }) },
  );
}
