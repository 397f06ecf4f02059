/**
 * The two protobuf wire types the KPL aggregation format uses (varint and length-delimited),
 * written by hand: the format is three small messages, not worth a protobuf runtime.
 * See https://protobuf.dev/programming-guides/encoding/.
 */

/** Appends protobuf fields to a growing list of chunks; `finish` concatenates them. */
export class ProtoWriter {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  /** A varint field (wire type 0); `value` is a non-negative safe integer. */
  varint(field: number, value: number): this {
    this.push(encodeVarint((field << 3) | 0));
    this.push(encodeVarint(value));
    return this;
  }

  /** A length-delimited field (wire type 2): bytes, a string (UTF-8) or an embedded message. */
  bytes(field: number, value: Buffer | string): this {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.push(encodeVarint((field << 3) | 2));
    this.push(encodeVarint(data.length));
    this.push(data);
    return this;
  }

  get size(): number {
    return this.length;
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
}

/** The varint encoding of a non-negative safe integer. */
export function encodeVarint(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** Bytes of a varint's encoding, without building it. */
export function varintSize(value: number): number {
  let n = 1;
  let v = value;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** One decoded field: a number for varints, a slice of the input for length-delimited fields. */
export interface ProtoField {
  field: number;
  value: number | Buffer;
}

/**
 * Reads the fields of one message. Throws a RangeError on truncated input or a wire type other
 * than varint, 64-bit, length-delimited or 32-bit (groups are not used by the formats we read).
 */
export function* readFields(data: Buffer): Generator<ProtoField> {
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (offset >= data.length) throw new RangeError('truncated varint');
      const byte = data[offset++]!;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 0x80;
      if (scale > 2 ** 63) throw new RangeError('varint too long');
    }
  };
  while (offset < data.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { field, value: varint() };
    else if (wire === 2) {
      const length = varint();
      if (offset + length > data.length) throw new RangeError('truncated length-delimited field');
      yield { field, value: data.subarray(offset, offset + length) };
      offset += length;
    } else if (wire === 1 || wire === 5) {
      offset += wire === 1 ? 8 : 4;
      if (offset > data.length) throw new RangeError('truncated fixed field');
    } else {
      throw new RangeError(`unsupported wire type ${wire}`);
    }
  }
}
