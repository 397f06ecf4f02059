import { createHeaders, SluiceError } from '@sluice/core';

/**
 * A bounds-checked reader of Avro binary data (zigzag varints, strings, bytes, fixed). Every read
 * that would run past the end, or any varint longer than a long can be, throws SLUICE_PROTOCOL,
 * so a hostile peer can never make the decoder loop or allocate beyond the bytes it actually sent.
 */
export class AvroReader {
  pos: number;

  constructor(readonly buf: Buffer, pos = 0) {
    this.pos = pos;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Reads a zigzag varint long (exact up to 2^53). */
  long(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= buf.length) throw truncated(pos);
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return (b >>> 1) ^ -(b & 1);
    }
    let value = b & 0x7f;
    let scale = 0x80;
    do {
      if (pos >= buf.length) throw truncated(pos);
      if (scale > 2 ** 49) throw new SluiceError('SLUICE_PROTOCOL', `Avro long at byte ${this.pos} is longer than 8 bytes; the peer does not speak Avro binary`);
      b = buf[pos++]!;
      value += (b & 0x7f) * scale;
      scale *= 0x80;
    } while (b & 0x80);
    this.pos = pos;
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  /** Reads a length that must be between 0 and the bytes left. */
  length(): number {
    const at = this.pos;
    const n = this.long();
    if (n < 0 || n > this.buf.length - this.pos) {
      throw new SluiceError('SLUICE_PROTOCOL', `Avro length ${n} at byte ${at} is negative or runs past the end of the ${this.buf.length}-byte message`);
    }
    return n;
  }

  boolean(): boolean {
    if (this.pos >= this.buf.length) throw truncated(this.pos);
    const b = this.buf[this.pos++]!;
    if (b > 1) throw new SluiceError('SLUICE_PROTOCOL', `Avro boolean at byte ${this.pos - 1} is ${b}, not 0 or 1`);
    return b === 1;
  }

  /** UTF-8 string. */
  string(): string {
    const n = this.length();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** Bytes, as a view into the message (no copy). */
  bytes(): Buffer {
    const n = this.length();
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A fixed of `size` bytes, as a view. */
  fixed(size: number): Buffer {
    if (this.remaining < size) throw truncated(this.pos);
    const b = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return b;
  }

  /**
   * Reads a block count of an array or map; a negative count is followed by the block's byte size,
   * which is skipped. `minItemBytes` bounds the count by the bytes left, so a forged count fails
   * at once instead of driving a long loop.
   */
  blockCount(minItemBytes: number): number {
    const at = this.pos;
    let n = this.long();
    if (n < 0) {
      n = -n;
      this.long();
    }
    if (n * minItemBytes > this.remaining) {
      throw new SluiceError('SLUICE_PROTOCOL', `Avro block at byte ${at} claims ${n} items but only ${this.remaining} bytes follow`);
    }
    return n;
  }

  /** Reads a map<string> into a header map (core's createHeaders: nothing inherited). */
  stringMap(): Record<string, string> {
    const map = createHeaders();
    for (let n = this.blockCount(2); n !== 0; n = this.blockCount(2)) {
      for (let i = 0; i < n; i++) {
        const key = this.string();
        setEntry(map, key, this.string());
      }
    }
    return map;
  }

  /** Reads a map<bytes>. */
  bytesMap(): Record<string, Buffer> {
    const map: Record<string, Buffer> = {};
    for (let n = this.blockCount(2); n !== 0; n = this.blockCount(2)) {
      for (let i = 0; i < n; i++) {
        const key = this.string();
        setEntry(map, key, this.bytes());
      }
    }
    return map;
  }
}

/** Sets a map entry; a key named `__proto__` becomes a plain own property instead of changing the prototype. */
function setEntry<T>(map: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

function truncated(pos: number): SluiceError {
  return new SluiceError('SLUICE_PROTOCOL', `Avro message ends early at byte ${pos}; the peer sent a truncated or malformed call`);
}

/**
 * A growable writer of Avro binary data. `finish()` returns a view of what was written. Size the
 * initial capacity close to the expected output to avoid regrowth on hot paths.
 */
export class AvroWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Writes a zigzag varint long (exact up to 2^52). */
  long(n: number): this {
    this.ensure(10);
    const buf = this.buf;
    let z = n >= 0 ? n * 2 : -n * 2 - 1;
    while (z >= 0x80) {
      buf[this.pos++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    buf[this.pos++] = z;
    return this;
  }

  boolean(value: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
    return this;
  }

  string(value: string): this {
    const n = Buffer.byteLength(value, 'utf8');
    this.long(n);
    this.ensure(n);
    this.pos += this.buf.write(value, this.pos, n, 'utf8');
    return this;
  }

  bytes(value: Buffer): this {
    this.long(value.length);
    return this.raw(value);
  }

  /** Raw bytes with no length prefix (fixed, or pre-encoded data). */
  raw(value: Buffer): this {
    this.ensure(value.length);
    value.copy(this.buf, this.pos);
    this.pos += value.length;
    return this;
  }

  stringMap(map: Readonly<Record<string, string>>): this {
    const keys = Object.keys(map);
    if (keys.length > 0) {
      this.long(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        this.string(key).string(map[key]!);
      }
    }
    return this.long(0);
  }

  bytesMap(map: Readonly<Record<string, Buffer>>): this {
    const keys = Object.keys(map);
    if (keys.length > 0) {
      this.long(keys.length);
      for (const key of keys) this.string(key).bytes(map[key]!);
    }
    return this.long(0);
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
