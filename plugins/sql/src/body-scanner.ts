import type { SimdScan } from './simd-scan.js';
import type { Column } from './sql-stage-config.js';

/** What a column's field held in the last scanned body. */
const MISSING = 0;
const NULL = 1;
const TRUE = 2;
const FALSE = 3;
const NUMBER = 4;
const STRING = 5;
/** An object or array: read with JSON.parse of its text. */
const COMPOUND = 6;

/** String flags: the text has backslash escapes / bytes beyond ASCII. */
const ESCAPED = 1;
const NON_ASCII = 2;

/** Deeper bodies go to the fallback (JSON.parse), which has no such limit. */
const MAX_DEPTH = 64;
/** Values up to this many bytes are looked up among recent ones before a string is made. */
const MAX_INTERNED = 32;
const INTERN_SLOTS = 256;
/** Integers of at most this many digits are read digit by digit, exactly. */
const EXACT_DIGITS = 15;
/** Bodies with more top-level members than this get no shape (see {@link BodyShape}). */
const MAX_SHAPE_MEMBERS = 32;
/** Bodies in a row that must miss the shape before the next body scanned in full replaces it. */
const SHAPE_PATIENCE = 16;

/** One key of the schema's field tree: the column it ends (or -1) and the keys below it. */
interface FieldNode {
  column: number;
  children: FieldKey[];
  /** Every column at or below this node: cleared when the key appears again (the last one wins). */
  below: number[];
}

/**
 * The shape of a body: its top-level keys in order with the exact bytes around them (whitespace,
 * quotes, colons, commas, the braces), taken from a body the full scan accepted. Logs from one
 * producer mostly share one shape, and a body of the same shape is checked by comparing those
 * bytes and reading only the values: the bytes between values are then exactly the bytes of a
 * body already found to be JSON, so the reading is the full scan's.
 */
interface BodyShape {
  /** `members + 1` runs of bytes: before the first value, between values, after the last. */
  runs: Uint8Array[];
  /** Each run's length. */
  lengths: number[];
  /** Each run's whole 32-bit words, little-endian (compared four bytes at a time where the body has a copy in the SIMD memory). */
  words: Int32Array[];
  /** Per member, the wanted key's node, or undefined for a value only checked and passed over. */
  nodes: (FieldNode | undefined)[];
}

interface FieldKey {
  name: string;
  bytes: Buffer;
  /** `bytes.length`, as a plain field (the typed array's getter costs more in the key loop). */
  length: number;
  node: FieldNode;
}

/** ASCII text from bytes; Buffer's own latin1Slice skips toString's argument handling. */
const latin1: (buf: Buffer, start: number, end: number) => string = typeof (Buffer.prototype as { latin1Slice?: unknown }).latin1Slice === 'function'
  ? (buf, start, end) => (buf as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end)
  : (buf, start, end) => buf.toString('latin1', start, end);

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isHex = (c: number | undefined): boolean => c !== undefined && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66));

/**
 * Reads the schema's body fields straight from the bytes of a JSON body, without building the
 * object: one pass that checks the whole body is JSON (exactly the grammar `JSON.parse` accepts)
 * and notes where each wanted field's value lies; only those values become JS values. The sql
 * stage's row reader calls {@link scan} for every event and falls back to `JSON.parse` when it
 * returns false: for bodies that are not JSON objects (so the bad-record reason comes from one
 * place), nesting deeper than 64, and a field path that goes through a string or an array. When
 * it returns true, {@link value} gives what `JSON.parse` and an own-property walk of the path
 * would: the last of duplicate keys, `undefined` for a missing field. When every body column is
 * a top-level field, a body accepted by the full pass becomes the {@link BodyShape} the next
 * bodies are first compared with (the bytes around the values, four at a time where the body has
 * a copy in the SIMD memory); the shape is replaced once 16 bodies in a row differ from it. One
 * instance per reader; not reentrant.
 */
export class BodyScanner {
  private readonly root: FieldNode;
  private readonly kinds: Uint8Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly flags: Uint8Array;
  private buf: Buffer = Buffer.alloc(0);
  /** The body's memory as 32-bit words (the whole ArrayBuffer, kept while bodies share it), and the body's offset in it. */
  private words: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private wordsOf: ArrayBufferLike | undefined;
  private base = 0;
  /** Recent short ASCII values by hash slot (see {@link ascii}). */
  private readonly interned = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);
  /** Flags of the string {@link string} last read. */
  private stringFlags = 0;
  /** Where the body's copy starts in the SIMD memory, or -1 (see {@link scan}). */
  private at = -1;
  private readonly plainRunEnd: SimdScan['plainRunEnd'] | undefined;
  /** Whether every body column is a top-level field (bodies then get a {@link BodyShape}). */
  private readonly shapeable: boolean;
  private shape: BodyShape | undefined;
  private shapeMisses = 0;
  /** The top-level members of the body the full scan last read: key and value bounds, and whether every key is plain ASCII. */
  private readonly memberKeyStarts = new Int32Array(MAX_SHAPE_MEMBERS);
  private readonly memberKeyEnds = new Int32Array(MAX_SHAPE_MEMBERS);
  private readonly memberStarts = new Int32Array(MAX_SHAPE_MEMBERS);
  private readonly memberEnds = new Int32Array(MAX_SHAPE_MEMBERS);
  private members = 0;
  private plainKeys = true;
  /** The SIMD memory, for reading four bytes at a time at any offset (replaced when the memory grows). */
  private memoryView = new DataView(new ArrayBuffer(0));
  private readonly memory: SimdScan['memory'] | undefined;

  /**
   * `columns`: the reader's columns; only those read from the body get a field. `simd`: the
   * memory bodies may have copies in (see {@link scan}).
   */
  constructor(columns: readonly Column[], simd?: SimdScan) {
    this.plainRunEnd = simd?.plainRunEnd;
    this.memory = simd?.memory;
    this.root = { column: -1, children: [], below: [] };
    columns.forEach((column, index) => {
      if (column.from !== 'body') return;
      let node = this.root;
      for (const name of column.path) {
        let key = node.children.find((k) => k.name === name);
        if (!key) {
          const bytes = Buffer.from(name, 'utf8');
          key = { name, bytes, length: bytes.length, node: { column: -1, children: [], below: [] } };
          node.children.push(key);
        }
        node = key.node;
        node.below.push(index);
      }
      node.column = index;
    });
    this.shapeable = columns.every((c) => c.from !== 'body' || c.path.length === 1);
    this.kinds = new Uint8Array(columns.length);
    this.starts = new Int32Array(columns.length);
    this.ends = new Int32Array(columns.length);
    this.flags = new Uint8Array(columns.length);
  }

  /**
   * Scans one body. True: it is a JSON object and every body column's value is ready through
   * {@link value}. False: read this body with `JSON.parse` instead (it may still be valid).
   * `at`: where an identical copy of the body starts in the memory of the {@link SimdScan} given
   * to the constructor (long strings are then passed over by its SIMD code), or -1.
   */
  scan(buf: Buffer, at = -1): boolean {
    this.buf = buf;
    this.at = this.plainRunEnd === undefined ? -1 : at;
    if (this.at < 0) {
      // No copy in the SIMD memory: long strings go four bytes at a time through the body's own memory.
      if (buf.buffer !== this.wordsOf) {
        this.wordsOf = buf.buffer;
        this.words = new Int32Array(buf.buffer, 0, buf.buffer.byteLength >> 2);
      }
      this.base = buf.byteOffset;
    }
    const { kinds } = this;
    for (let i = 0; i < kinds.length; i++) kinds[i] = MISSING;
    if (this.shape !== undefined) {
      if (this.scanShaped(this.shape)) {
        this.shapeMisses = 0;
        return true;
      }
      for (let i = 0; i < kinds.length; i++) kinds[i] = MISSING;
      if (++this.shapeMisses < SHAPE_PATIENCE) return this.scanFull();
    }
    if (!this.scanFull()) return false;
    if (this.shapeable) this.takeShape();
    return true;
  }

  /** {@link scan} by the JSON grammar, noting the top-level members for {@link takeShape}. */
  private scanFull(): boolean {
    const { buf } = this;
    this.members = 0;
    this.plainKeys = true;
    const start = this.space(0);
    if (buf[start] !== 0x7b) return false;
    const end = this.object(start, this.root, 0);
    return end >= 0 && this.space(end) === buf.length;
  }

  /**
   * {@link scan} of a body of `shape`: its runs of bytes must be there exactly, and each value
   * between them is read (or checked and passed over) as the full scan would; false at the first
   * difference (the body is then scanned in full).
   */
  private scanShaped(shape: BodyShape): boolean {
    const { buf, at } = this;
    const { runs, lengths, words, nodes } = shape;
    const n = buf.length;
    let view = this.memoryView;
    // A grown memory has a new buffer (the old one is detached or shorter).
    if (at >= 0 && view.buffer.byteLength < at + n) view = this.memoryView = new DataView(this.memory!.buffer);
    let p = 0;
    for (let m = 0; ; m++) {
      const length = lengths[m]!;
      if (p + length > n) return false;
      let i = 0;
      if (at >= 0) {
        const runWords = words[m]!;
        for (const whole = length & ~3; i < whole; i += 4) if (view.getInt32(at + p + i, true) !== runWords[i >> 2]) return false;
      }
      const run = runs[m]!;
      for (; i < length; i++) if (buf[p + i] !== run[i]) return false;
      p += length;
      if (m === nodes.length) return p === n;
      const node = nodes[m];
      p = node === undefined ? this.skip(p, 0) : this.field(p, node, 0);
      if (p < 0) return false;
    }
  }

  /**
   * Makes the body the full scan just accepted the shape for the next ones, when its top-level
   * keys are plain ASCII (so distinct bytes mean distinct keys) and distinct (so no later
   * duplicate overrides a value), and there are not too many of them.
   */
  private takeShape(): void {
    const { members, buf } = this;
    this.shape = undefined;
    this.shapeMisses = 0;
    if (members === 0 || members > MAX_SHAPE_MEMBERS || !this.plainKeys) return;
    const { memberKeyStarts: ks, memberKeyEnds: ke, memberStarts: vs, memberEnds: ve } = this;
    for (let a = 0; a < members; a++) {
      for (let b = a + 1; b < members; b++) {
        if (ke[a]! - ks[a]! === ke[b]! - ks[b]! && buf.compare(buf, ks[a], ke[a], ks[b], ke[b]) === 0) return;
      }
    }
    const runs: Uint8Array[] = [];
    const nodes: (FieldNode | undefined)[] = [];
    let from = 0;
    for (let m = 0; m < members; m++) {
      runs.push(Uint8Array.prototype.slice.call(buf, from, vs[m]!));
      nodes.push(this.key(this.root, ks[m]!, ke[m]!, 0));
      from = ve[m]!;
    }
    runs.push(Uint8Array.prototype.slice.call(buf, from, buf.length));
    const words = runs.map((run) => {
      const out = new Int32Array(run.length >> 2);
      const view = new DataView(run.buffer, run.byteOffset, run.length);
      for (let w = 0; w < out.length; w++) out[w] = view.getInt32(4 * w, true);
      return out;
    });
    this.shape = { runs, lengths: runs.map((run) => run.length), words, nodes };
  }

  /** The value of column `index` in the last body {@link scan} accepted, as `JSON.parse` gives it; undefined when missing. */
  value(index: number): unknown {
    const { buf } = this;
    const start = this.starts[index]!;
    const end = this.ends[index]!;
    switch (this.kinds[index]) {
      case NULL: return null;
      case TRUE: return true;
      case FALSE: return false;
      case NUMBER: return numberAt(buf, start, end);
      case STRING: {
        const flags = this.flags[index]!;
        if (flags & ESCAPED) return JSON.parse(buf.toString('utf8', start, end)) as string;
        return flags & NON_ASCII ? buf.toString('utf8', start + 1, end - 1) : this.ascii(start + 1, end - 1);
      }
      case COMPOUND: return JSON.parse(buf.toString('utf8', start, end)) as unknown;
      default: return undefined;
    }
  }

  /**
   * ASCII text of `[start, end)`. Short values repeat (hosts, methods, status words), so the last
   * string seen per hash slot is reused when its characters match: no new string per event.
   */
  private ascii(start: number, end: number): string {
    const { buf } = this;
    const length = end - start;
    if (length > MAX_INTERNED) return latin1(buf, start, end);
    let hash = length;
    for (let p = start; p < end; p++) hash = (Math.imul(hash, 31) + buf[p]!) | 0;
    const slot = hash & (INTERN_SLOTS - 1);
    const known = this.interned[slot];
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known.charCodeAt(i) === buf[start + i]) i++;
      if (i === length) return known;
    }
    const text = latin1(buf, start, end);
    this.interned[slot] = text;
    return text;
  }

  private space(p: number): number {
    const { buf } = this;
    for (;;) {
      const c = buf[p];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return p;
      p++;
    }
  }

  /** An object at `p` (its `{`); with `node`, the wanted keys' values are noted. Returns the end, or -1. */
  private object(p: number, node: FieldNode | undefined, depth: number): number {
    if (depth > MAX_DEPTH) return -1;
    const { buf } = this;
    p = this.space(p + 1);
    if (buf[p] === 0x7d) return p + 1;
    for (;;) {
      if (buf[p] !== 0x22) return -1;
      const keyStart = p + 1;
      p = this.string(p);
      if (p < 0) return -1;
      const keyFlags = this.stringFlags;
      const key = node === undefined ? undefined : this.key(node, keyStart, p - 1, keyFlags);
      const keyEnd = p - 1;
      if (buf[p]! <= 0x20) p = this.space(p);
      if (buf[p] !== 0x3a) return -1;
      p++;
      if (buf[p]! <= 0x20) p = this.space(p);
      const valueStart = p;
      p = key === undefined ? this.skip(p, depth) : this.field(p, key, depth);
      if (p < 0) return -1;
      if (depth === 0) {
        // A top-level member: noted for the body's shape.
        const m = this.members++;
        if (m < MAX_SHAPE_MEMBERS) {
          this.memberKeyStarts[m] = keyStart;
          this.memberKeyEnds[m] = keyEnd;
          this.memberStarts[m] = valueStart;
          this.memberEnds[m] = p;
          if (keyFlags !== 0) this.plainKeys = false;
        }
      }
      if (buf[p]! <= 0x20) p = this.space(p);
      const c = buf[p];
      if (c === 0x2c) {
        p++;
        if (buf[p]! <= 0x20) p = this.space(p);
      } else if (c === 0x7d) {
        return p + 1;
      } else {
        return -1;
      }
    }
  }

  /** The wanted key whose name is the bytes `[start, end)`, if any. */
  private key(node: FieldNode, start: number, end: number, flags: number): FieldNode | undefined {
    const { children } = node;
    if (children.length === 0) return undefined;
    if (flags !== 0) {
      // Escapes, or bytes that may not be UTF-8: compare the name JSON.parse would give.
      const name = JSON.parse(this.buf.toString('utf8', start - 1, end + 1)) as string;
      return children.find((k) => k.name === name)?.node;
    }
    const { buf } = this;
    const length = end - start;
    for (let k = 0; k < children.length; k++) {
      if (children[k]!.length !== length) continue;
      const bytes = children[k]!.bytes;
      let i = 0;
      while (i < length && buf[start + i] === bytes[i]) i++;
      if (i === length) return children[k]!.node;
    }
    return undefined;
  }

  /** The value of a wanted key at `p`: noted for its column, descended into for the keys below. */
  private field(p: number, node: FieldNode, depth: number): number {
    const { buf, kinds } = this;
    const { below } = node;
    for (let i = 0; i < below.length; i++) kinds[below[i]!] = MISSING;
    const c = buf[p];
    let end: number;
    let kind: number;
    let flags = 0;
    if (c === 0x7b) {
      end = this.object(p, node.children.length > 0 ? node : undefined, depth + 1);
      kind = COMPOUND;
    } else if (node.children.length > 0 && (c === 0x22 || c === 0x5b)) {
      // A path through a string or an array (`name.length`, `tags.0`): JSON.parse reads those.
      return -1;
    } else if (c === 0x22) {
      end = this.string(p);
      kind = STRING;
      flags = this.stringFlags;
    } else if (c === 0x5b) {
      end = this.skip(p, depth);
      kind = COMPOUND;
    } else if (c === 0x2d || isDigit(c)) {
      end = this.number(p);
      kind = NUMBER;
    } else {
      end = this.literal(p);
      kind = c === 0x74 ? TRUE : c === 0x66 ? FALSE : NULL;
    }
    if (end < 0) return -1;
    const column = node.column;
    if (column >= 0) {
      kinds[column] = kind;
      this.starts[column] = p;
      this.ends[column] = end;
      this.flags[column] = flags;
    }
    return end;
  }

  /** Any value at `p`, checked and passed over. Returns its end, or -1. */
  private skip(p: number, depth: number): number {
    const { buf } = this;
    const c = buf[p];
    if (c === 0x22) return this.string(p);
    if (c === 0x2d || isDigit(c)) return this.number(p);
    if (c === 0x7b) return this.object(p, undefined, depth + 1);
    if (c === 0x5b) {
      if (depth + 1 > MAX_DEPTH) return -1;
      p = this.space(p + 1);
      if (buf[p] === 0x5d) return p + 1;
      for (;;) {
        p = this.skip(p, depth + 1);
        if (p < 0) return -1;
        p = this.space(p);
        const d = buf[p];
        if (d === 0x2c) p = this.space(p + 1);
        else if (d === 0x5d) return p + 1;
        else return -1;
      }
    }
    return this.literal(p);
  }

  /** A string at `p` (its opening quote); sets {@link stringFlags}. Returns the end (after the closing quote), or -1. */
  private string(p: number): number {
    const { buf } = this;
    const n = buf.length;
    p++;
    // With a copy in the SIMD memory, sixteen bytes at a time from the start (one call finds
    // the end of most short values too).
    if (this.at >= 0 && n - p >= 16) return this.stringInCopy(p);
    // Without a copy (or near the body's end): keys and most short values end within a few
    // bytes, so plain ASCII byte by byte first, the rest from the first other byte (or the twelfth).
    for (const stop = Math.min(p + 12, n); p < stop; p++) {
      const c = buf[p]!;
      if (c === 0x22) {
        this.stringFlags = 0;
        return p + 1;
      }
      if (c < 0x20 || c >= 0x80 || c === 0x5c) break;
    }
    return this.at >= 0 ? this.stringInCopy(p) : this.stringRest(p);
  }

  /**
   * {@link string} from `p` (inside it), with the body's copy in the SIMD memory: the SIMD code
   * passes over each run of plain bytes, and the byte that ends it is read here.
   */
  private stringInCopy(p: number): number {
    const { buf, at } = this;
    const n = buf.length;
    let flags = 0;
    for (;;) {
      if (n - p >= 16) {
        const found = this.plainRunEnd!(at + p, at + n);
        if (found & 1) flags |= NON_ASCII;
        p = (found >>> 1) - at;
      }
      if (p >= n) return -1;
      const c = buf[p]!;
      if (c === 0x22) {
        this.stringFlags = flags;
        return p + 1;
      }
      if (c === 0x5c) {
        flags |= ESCAPED;
        p = this.escape(p);
        if (p < 0) return -1;
        continue;
      }
      if (c < 0x20) return -1;
      if (c >= 0x80) flags |= NON_ASCII;
      p++;
    }
  }

  /** The escape at `p` (its backslash): returns the end, or -1 when JSON has no such escape. */
  private escape(p: number): number {
    const { buf } = this;
    const e = buf[p + 1];
    if (e === 0x75) return isHex(buf[p + 2]) && isHex(buf[p + 3]) && isHex(buf[p + 4]) && isHex(buf[p + 5]) ? p + 6 : -1;
    if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) return p + 2;
    return -1;
  }

  /** {@link string} from `p` (inside it), through the body's own memory, four bytes at a time where it can. */
  private stringRest(p: number): number {
    const { buf, words, base } = this;
    const n = buf.length;
    const lastWord = base + n - 4;
    let flags = 0;
    let high = 0;
    for (;;) {
      let at = base + p;
      if ((at & 3) === 0) {
        // Four bytes at a time while none is a quote, a backslash or a control byte (the usual
        // string), with the exact SWAR tests "some byte < n" and "some byte equals x". Flipping
        // bit 1 maps the control bytes onto themselves and the quote (0x22) onto 0x20, and
        // nothing else below 0x21: one test finds both.
        while (at <= lastWord) {
          const w = words[at >> 2]!;
          const c = w ^ 0x02020202;
          const b = w ^ 0x5c5c5c5c;
          if ((((c - 0x21212121) & ~c) | ((b - 0x01010101) & ~b)) & 0x80808080) break;
          high |= w;
          at += 4;
        }
        p = at - base;
      }
      if (p >= n) return -1;
      const c = buf[p]!;
      if (c === 0x22) {
        this.stringFlags = high & 0x80808080 ? flags | NON_ASCII : flags;
        return p + 1;
      }
      if (c === 0x5c) {
        flags |= ESCAPED;
        p = this.escape(p);
        if (p < 0) return -1;
        continue;
      }
      if (c < 0x20) return -1;
      if (c >= 0x80) flags |= NON_ASCII;
      p++;
    }
  }

  /** A number at `p` in JSON's grammar. Returns its end, or -1. */
  private number(p: number): number {
    const { buf } = this;
    if (buf[p] === 0x2d) p++;
    if (buf[p] === 0x30) p++;
    else if (isDigit(buf[p])) while (isDigit(buf[p])) p++;
    else return -1;
    if (buf[p] === 0x2e) {
      p++;
      if (!isDigit(buf[p])) return -1;
      while (isDigit(buf[p])) p++;
    }
    const e = buf[p];
    if (e === 0x65 || e === 0x45) {
      p++;
      if (buf[p] === 0x2b || buf[p] === 0x2d) p++;
      if (!isDigit(buf[p])) return -1;
      while (isDigit(buf[p])) p++;
    }
    return p;
  }

  /** `true`, `false` or `null` at `p`. Returns its end, or -1. */
  private literal(p: number): number {
    const { buf } = this;
    const c = buf[p];
    if (c === 0x74) return buf[p + 1] === 0x72 && buf[p + 2] === 0x75 && buf[p + 3] === 0x65 ? p + 4 : -1;
    if (c === 0x66) return buf[p + 1] === 0x61 && buf[p + 2] === 0x6c && buf[p + 3] === 0x73 && buf[p + 4] === 0x65 ? p + 5 : -1;
    if (c === 0x6e) return buf[p + 1] === 0x75 && buf[p + 2] === 0x6c && buf[p + 3] === 0x6c ? p + 4 : -1;
    return -1;
  }
}

/** The number JSON text `[start, end)` stands for: short integers digit by digit, the rest as JS reads them. */
function numberAt(buf: Buffer, start: number, end: number): number {
  const negative = buf[start] === 0x2d;
  const first = negative ? start + 1 : start;
  if (end - first <= EXACT_DIGITS) {
    let value = 0;
    let p = first;
    for (; p < end; p++) {
      const c = buf[p]!;
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
    }
    if (p === end) return negative ? -value : value;
  }
  return Number(buf.toString('latin1', start, end));
}
