/**
 * Remembers the last byte range decoded to a string so that a field repeated from message to
 * message (host name, app name, the timestamp of the current second) is decoded once, not per
 * message. One instance per field per parser; not shared between connections.
 */
export class TokenCache<T = string> {
  private bytes = Buffer.alloc(0);
  private value: T | undefined;

  constructor(private readonly decode: (buf: Buffer, start: number, end: number) => T) {}

  get(buf: Buffer, start: number, end: number): T {
    const length = end - start;
    if (this.value !== undefined && length === this.bytes.length && this.same(buf, start, length)) return this.value;
    const value = this.decode(buf, start, end);
    this.bytes = Buffer.from(buf.subarray(start, end));
    this.value = value;
    return value;
  }

  /** Byte comparison in JS: for tokens this short it beats a native Buffer.compare call. */
  private same(buf: Buffer, start: number, length: number): boolean {
    const bytes = this.bytes;
    if (length > 64) return buf.compare(bytes, 0, length, start, start + length) === 0;
    for (let i = 0; i < length; i++) if (buf[start + i] !== bytes[i]) return false;
    return true;
  }
}

/** Decodes a field as UTF-8 text. */
export const utf8Field = (buf: Buffer, start: number, end: number): string => buf.toString('utf8', start, end);
