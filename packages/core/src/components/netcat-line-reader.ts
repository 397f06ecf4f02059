import { TextDecoder } from 'node:util';

/** The character sets the netcat source reads (Flume's `encoding`, spelled as Java or Node do). */
export const NETCAT_ENCODINGS = ['UTF-8', 'utf-8', 'utf8', 'US-ASCII', 'us-ascii', 'ascii', 'ISO-8859-1', 'iso-8859-1', 'latin1', 'UTF-16LE', 'utf-16le', 'UTF-16BE', 'utf-16be'] as const;
export type NetcatEncoding = (typeof NETCAT_ENCODINGS)[number];

/** What a {@link NetcatLineReader} returns for one chunk. */
export interface NetcatRead {
  /** Complete lines before any over-long one, as UTF-8 event bodies (no newline, no trailing `\r`). */
  lines: Buffer[];
  /** A line longer than maxLineLength came after `lines`: the connection must be answered FAILED and closed. */
  overlong: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits one netcat connection's bytes into lines the way Flume's netcat source does: the bytes
 * are text in `encoding`, a line ends at `\n`, and `maxLineLength` counts characters (UTF-16
 * code units, as Java does) including the newline. Bodies are UTF-8, as Flume's are. UTF-8 and
 * ASCII are split as bytes without decoding; other encodings are decoded as a stream.
 * Once a line is over-long the reader reports it and returns nothing more: Flume answers
 * `FAILED: ...` and closes the connection, delivering none of that line. Used by NetcatSource,
 * one reader per connection.
 */
export class NetcatLineReader {
  private readonly decoder: TextDecoder | undefined;
  private readonly latin1: boolean;
  private pendingBytes: Buffer | undefined;
  private pendingText = '';
  private failed = false;

  constructor(private readonly maxLineLength: number, encoding: NetcatEncoding) {
    const name = encoding.toLowerCase();
    this.latin1 = name === 'iso-8859-1' || name === 'latin1';
    this.decoder = name.startsWith('utf-16') ? new TextDecoder(name) : undefined;
  }

  push(chunk: Buffer): NetcatRead {
    if (this.failed) return { lines: [], overlong: true };
    const read = this.decoder ? this.pushText(this.decoder.decode(chunk, { stream: true })) : this.pushBytes(chunk);
    if (read.overlong) this.failed = true;
    return read;
  }

  /** The unterminated last line at end of stream, if any (and not over-long). */
  flush(): Buffer | undefined {
    if (this.failed) return undefined;
    if (this.decoder) {
      const rest = this.pendingText + this.decoder.decode();
      this.pendingText = '';
      return rest.length > 0 ? Buffer.from(trimCRText(rest), 'utf8') : undefined;
    }
    const rest = this.pendingBytes;
    this.pendingBytes = undefined;
    return rest && rest.length > 0 ? this.body(rest, 0, trimCR(rest, 0, rest.length)) : undefined;
  }

  private pushBytes(chunk: Buffer): NetcatRead {
    const data = this.pendingBytes ? Buffer.concat([this.pendingBytes, chunk]) : chunk;
    this.pendingBytes = undefined;
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const newline = data.indexOf(LF, start);
      if (newline < 0) break;
      if (this.tooLong(data, start, newline)) return { lines, overlong: true };
      lines.push(this.body(data, start, trimCR(data, start, newline)));
      start = newline + 1;
    }
    if (start < data.length) {
      if (this.tooLong(data, start, data.length)) return { lines, overlong: true };
      this.pendingBytes = Buffer.from(data.subarray(start));
    }
    return { lines, overlong: false };
  }

  /** Whether data[start, end) plus its newline (come or still to come) exceeds maxLineLength characters. */
  private tooLong(data: Buffer, start: number, end: number): boolean {
    const bytes = end - start;
    // Characters never outnumber bytes: only a long byte run needs counting.
    if (bytes + 1 <= this.maxLineLength) return false;
    const chars = this.latin1 ? bytes : data.toString('utf8', start, end).length;
    return chars + 1 > this.maxLineLength;
  }

  private body(data: Buffer, start: number, end: number): Buffer {
    if (this.latin1) return Buffer.from(data.toString('latin1', start, end), 'utf8');
    return Buffer.from(data.subarray(start, end));
  }

  private pushText(text: string): NetcatRead {
    const data = this.pendingText + text;
    this.pendingText = '';
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const newline = data.indexOf('\n', start);
      if (newline < 0) break;
      if (newline - start + 1 > this.maxLineLength) return { lines, overlong: true };
      lines.push(Buffer.from(trimCRText(data.slice(start, newline)), 'utf8'));
      start = newline + 1;
    }
    const rest = data.slice(start);
    if (rest.length + 1 > this.maxLineLength) return { lines, overlong: true };
    this.pendingText = rest;
    return { lines, overlong: false };
  }
}

function trimCR(data: Buffer, start: number, end: number): number {
  return end > start && data[end - 1] === CR ? end - 1 : end;
}

function trimCRText(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
