/** The few parts of the WebAssembly JS API used here (the project's TS libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * A WebAssembly memory the sql stage copies each batch's bodies into (the checkpoint encoding
 * lives there), and one function over it that finds where a run of plain string bytes ends,
 * sixteen bytes at a time with WebAssembly SIMD: the JS scanner hands it long strings (the bulk of
 * a log body is often one long text field the schema does not read).
 */
export interface SimdScan {
  /** The memory; its `buffer` changes when it grows. */
  readonly memory: WasmMemory;
  /**
   * From `start`, the first offset below `end` whose byte is a quote, a backslash or a control
   * byte (< 0x20), or where fewer than 16 bytes remain before `end` (the caller goes on byte by
   * byte from there): `(offset << 1) | nonAscii`, `nonAscii` 1 when some byte looked at (possibly
   * past the offset returned) is 0x80 or above. Offsets must stay below 2^30.
   */
  readonly plainRunEnd: (start: number, end: number) => number;
}

/** Offsets in the memory must fit {@link SimdScan.plainRunEnd}'s result. */
export const SIMD_SCAN_LIMIT = 1 << 30;

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
/** `v128.const` with every byte `b`. */
const splat = (b: number): number[] => [0xfd, 0x0c, ...new Array<number>(16).fill(b)];

// Locals: 0 start, 1 end (params), 2 v (v128), 3 mask, 4 high (i32).
const GET = 0x20;
const SET = 0x21;
const TEE = 0x22;
const I32_CONST = 0x41;
const PLAIN_RUN_END = [
  0x02, 0x40, // block
  0x03, 0x40, // loop
  GET, 0, I32_CONST, 16, 0x6a, GET, 1, 0x4b, 0x0d, 1, // if start + 16 > end: leave the block
  GET, 0, 0xfd, 0x00, 0, 0, SET, 2, // v = v128.load(start)
  GET, 4, GET, 2, 0xfd, 0x64, 0x72, SET, 4, // high |= i8x16.bitmask(v)
  GET, 2, ...splat(0x22), 0xfd, 0x23, // v == '"'
  GET, 2, ...splat(0x5c), 0xfd, 0x23, 0xfd, 0x50, // | v == '\\'
  GET, 2, ...splat(0x20), 0xfd, 0x26, 0xfd, 0x50, // | v < 0x20 (unsigned)
  0xfd, 0x64, TEE, 3, // mask = i8x16.bitmask(...)
  0x04, 0x40, // if mask
  GET, 0, GET, 3, 0x68, 0x6a, I32_CONST, 1, 0x74, GET, 4, I32_CONST, 0, 0x47, 0x72, 0x0f, // return ((start + ctz(mask)) << 1) | (high != 0)
  0x0b,
  GET, 0, I32_CONST, 16, 0x6a, SET, 0, 0x0c, 0, // start += 16; next
  0x0b, 0x0b,
  GET, 0, I32_CONST, 1, 0x74, GET, 4, I32_CONST, 0, 0x47, 0x72, // (start << 1) | (high != 0)
  0x0b,
];
const FUNCTION_BODY = [0x02, 0x01, 0x7b, 0x02, 0x7f, ...PLAIN_RUN_END];
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]), // type: (i32, i32) -> i32
  ...section(3, [1, 0]), // one function of that type
  ...section(5, [1, 0x00, 1]), // one memory, one page to start, no maximum
  ...section(7, [2, 3, 0x72, 0x75, 0x6e, 0x00, 0, 3, 0x6d, 0x65, 0x6d, 0x02, 0]), // export "run" (function), "mem" (memory)
  ...section(10, [1, ...leb(FUNCTION_BODY.length), ...FUNCTION_BODY]),
]);

let compiled: object | null | undefined;

/**
 * A new memory with the function, or undefined where WebAssembly SIMD is not available (the
 * scanner then reads every string in JS, as it does for bodies outside the memory).
 */
export function createSimdScan(): SimdScan | undefined {
  if (compiled === undefined) {
    try {
      compiled = wasm !== undefined && wasm.validate(MODULE) ? new wasm.Module(MODULE) : null;
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return undefined;
  const { exports } = new wasm!.Instance(compiled, {});
  return { memory: exports.mem as WasmMemory, plainRunEnd: exports.run as (start: number, end: number) => number };
}
