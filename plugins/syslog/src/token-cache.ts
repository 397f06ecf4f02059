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
    if (this.value !== undefined && length === this.bytes.length && buf.compare(this.bytes, 0, length, start, end) === 0) {
      return this.value;
    }
    const value = this.decode(buf, start, end);
    this.bytes = Buffer.from(buf.subarray(start, end));
    this.value = value;
    return value;
  }
}

/** Decodes a field as UTF-8 text. */
export const utf8Field = (buf: Buffer, start: number, end: number): string => buf.toString('utf8', start, end);
