import os from 'node:os';

type DuckDB = typeof import('@duckdb/node-api');
type Bindings = typeof import('@duckdb/node-bindings');
type Appender = import('@duckdb/node-api').DuckDBAppender;
type DataChunk = import('@duckdb/node-api').DuckDBDataChunk;
type Vector = import('@duckdb/node-bindings').Vector;

/** How a column's values are laid out in a DuckDB vector. Integers and timestamps are epoch-ms numbers. */
export type ChunkColumnType = 'varchar' | 'bigint' | 'double' | 'boolean' | 'timestamp';

const TWO_32 = 4294967296;
/**
 * DuckDB's `string_t` is 16 bytes: a 32-bit length, then up to this many bytes inline (zero
 * padded); longer strings hold a prefix and a pointer into the vector's string heap.
 */
const INLINE_STRING = 12;
const STRING_T = 16;

/** One column's vector and the JS-side buffers written into it. */
interface ChunkColumn {
  type: ChunkColumnType;
  vector: Vector;
  /**
   * Fixed-width values, flushed into the vector with one copy. For varchar: the `string_t` of
   * each row whose value is inline (see {@link ChunkWriter.setString}); the others are in
   * `pendingRows`/`pendingValues` and assigned one native call each after the copy.
   */
  data: ArrayBuffer;
  pendingRows: number[];
  pendingValues: string[];
  int32: Int32Array;
  int64: BigInt64Array;
  float64: Float64Array;
  uint8: Uint8Array;
  /** DuckDB's validity mask (bit set = valid), little-endian bytes of its 64-bit words. */
  validity: Uint8Array;
  hasNull: boolean;
}

/**
 * Writes rows into a DuckDB appender a data chunk (2048 rows) at a time: fixed-width values go
 * into typed arrays copied into the chunk's vectors once per chunk, and so do short ASCII strings
 * (as DuckDB's inline `string_t`); longer strings go straight into their vector, one native call
 * each. The appender's row API costs one native call per value plus one per row. Used by the sql
 * stage's engine, one call at a time; rows
 * written reach the appender when a chunk fills or on {@link flush}.
 */
export class ChunkWriter {
  private readonly chunk: DataChunk;
  private readonly columns: ChunkColumn[];
  private readonly capacity: number;
  private size = 0;

  private constructor(private readonly bindings: Bindings, private readonly appender: Appender, chunk: DataChunk, types: readonly ChunkColumnType[]) {
    this.chunk = chunk;
    this.capacity = bindings.vector_size();
    const validityBytes = Math.ceil(this.capacity / 64) * 8;
    this.columns = types.map((type, i) => {
      const data = new ArrayBuffer(type === 'varchar' ? this.capacity * STRING_T : type === 'boolean' ? this.capacity : this.capacity * 8);
      return {
        type,
        vector: bindings.data_chunk_get_vector(chunk.chunk, i),
        data,
        int32: new Int32Array(data),
        int64: new BigInt64Array(data),
        float64: new Float64Array(data),
        uint8: new Uint8Array(data),
        validity: new Uint8Array(validityBytes).fill(0xff),
        hasNull: false,
        pendingRows: [],
        pendingValues: [],
      };
    });
  }

  /** A writer for `appender`, whose table's columns have `types` in order. */
  static async create(duckdb: DuckDB, appender: Appender, types: readonly ChunkColumnType[]): Promise<ChunkWriter> {
    // Values are laid out as the host's memory holds them; DuckDB's vectors are little-endian.
    if (os.endianness() !== 'LE') throw new TypeError('the sql stage needs a little-endian host');
    const bindings = (await import('@duckdb/node-bindings')).default as unknown as Bindings;
    const chunk = duckdb.DuckDBDataChunk.create(types.map((t) => sqlTypes(duckdb)[t]));
    return new ChunkWriter(bindings, appender, chunk, types);
  }

  /** Sets column `column` of the current row to NULL. */
  setNull(column: number): void {
    const c = this.columns[column]!;
    const row = this.size;
    c.validity[row >> 3]! &= ~(1 << (row & 7));
    c.hasNull = true;
    // A varchar slot is copied into the vector with the chunk: keep it an empty inline string.
    if (c.type === 'varchar') c.int32.fill(0, row * 4, row * 4 + 4);
  }

  /**
   * Sets a varchar column of the current row. A value of at most 12 ASCII characters (no NUL) is
   * laid out here as DuckDB's inline `string_t` and reaches the vector with the chunk's one copy
   * (group keys such as hosts, methods and status words usually are); any other value costs one
   * native call, which stores it in the vector's string heap.
   */
  setString(column: number, value: string): void {
    const c = this.columns[column]!;
    const length = value.length;
    const row = this.size;
    if (length <= INLINE_STRING) {
      const { int32, uint8 } = c;
      const w = row * 4;
      int32[w] = length;
      int32[w + 1] = 0;
      int32[w + 2] = 0;
      int32[w + 3] = 0;
      const at = row * STRING_T + 4;
      let i = 0;
      for (; i < length; i++) {
        const ch = value.charCodeAt(i);
        // NUL too: the native call stores a string up to its first NUL, and so must this.
        if (ch === 0 || ch >= 0x80) break;
        uint8[at + i] = ch;
      }
      if (i === length) return;
      int32[w] = 0;
    }
    c.pendingRows.push(row);
    c.pendingValues.push(value);
  }

  /** Sets a bigint column (a safe integer) of the current row. */
  setInteger(column: number, value: number): void {
    const c = this.columns[column]!;
    const hi = Math.floor(value / TWO_32);
    c.int32[2 * this.size] = value - hi * TWO_32;
    c.int32[2 * this.size + 1] = hi;
  }

  /** Sets a timestamp column of the current row from epoch ms. */
  setTimestamp(column: number, ms: number): void {
    const micros = ms * 1000;
    if (Number.isSafeInteger(micros)) this.setInteger(column, micros);
    else this.columns[column]!.int64[this.size] = BigInt(ms) * 1000n;
  }

  setDouble(column: number, value: number): void {
    this.columns[column]!.float64[this.size] = value;
  }

  setBoolean(column: number, value: boolean): void {
    this.columns[column]!.uint8[this.size] = value ? 1 : 0;
  }

  /** Ends the current row (every column set or nulled); a full chunk goes to the appender. */
  endRow(): void {
    if (++this.size === this.capacity) this.emit();
  }

  /** Hands the rows written so far to the appender (which still holds them until its own flush). */
  flush(): void {
    if (this.size > 0) this.emit();
  }

  private emit(): void {
    const { bindings, size } = this;
    for (const c of this.columns) {
      if (c.type === 'varchar') {
        bindings.copy_data_to_vector(c.vector, 0, c.data, 0, size * STRING_T);
        const { pendingRows, pendingValues } = c;
        for (let i = 0; i < pendingRows.length; i++) bindings.vector_assign_string_element(c.vector, pendingRows[i]!, pendingValues[i]!);
      } else {
        bindings.copy_data_to_vector(c.vector, 0, c.data, 0, size * (c.type === 'boolean' ? 1 : 8));
      }
      if (c.hasNull) {
        bindings.vector_ensure_validity_writable(c.vector);
        bindings.copy_data_to_vector_validity(c.vector, 0, c.validity.buffer as ArrayBuffer, 0, Math.ceil(size / 64) * 8);
      }
    }
    bindings.data_chunk_set_size(this.chunk.chunk, size);
    try {
      this.appender.appendDataChunk(this.chunk);
    } finally {
      bindings.data_chunk_reset(this.chunk.chunk);
      for (const c of this.columns) {
        if (c.hasNull) c.validity.fill(0xff);
        c.hasNull = false;
        if (c.pendingRows.length > 0) {
          c.pendingRows.length = 0;
          c.pendingValues.length = 0;
        }
      }
      this.size = 0;
    }
  }
}

function sqlTypes(duckdb: DuckDB): Record<ChunkColumnType, import('@duckdb/node-api').DuckDBType> {
  return { varchar: duckdb.VARCHAR, bigint: duckdb.BIGINT, double: duckdb.DOUBLE, boolean: duckdb.BOOLEAN, timestamp: duckdb.TIMESTAMP };
}
