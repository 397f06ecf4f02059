/** What a {@link LineSplitter} returns for one chunk. */
export interface SplitResult {
  lines: Buffer[];
  /** Lines cut at maxLineLength in this chunk. */
  truncated: number;
}

/**
 * Splits a byte stream into lines on `\n` (a trailing `\r` is removed), without decoding to
 * strings. A line longer than `maxLineLength` is cut there and the rest of it, up to the next
 * newline, is discarded and counted. A partial last line waits for the next chunk.
 */
export class LineSplitter {
  private pending: Buffer | undefined;
  private discarding = false;

  constructor(private readonly maxLineLength: number) {}

  push(chunk: Buffer): SplitResult {
    const lines: Buffer[] = [];
    let truncated = 0;
    let data = chunk;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let start = 0;
    for (;;) {
      const newline = data.indexOf(0x0a, start);
      if (newline < 0) break;
      if (this.discarding) {
        this.discarding = false;
      } else {
        let end = newline;
        if (end > start && data[end - 1] === 0x0d) end--;
        if (end - start > this.maxLineLength) {
          end = start + this.maxLineLength;
          truncated++;
        }
        lines.push(data.subarray(start, end));
      }
      start = newline + 1;
    }
    if (start < data.length && !this.discarding) {
      const rest = data.subarray(start);
      if (rest.length > this.maxLineLength) {
        lines.push(rest.subarray(0, this.maxLineLength));
        truncated++;
        this.discarding = true;
      } else {
        this.pending = Buffer.from(rest);
      }
    }
    return { lines, truncated };
  }

  /** The unterminated last line at end of stream, if any. */
  flush(): Buffer | undefined {
    const rest = this.pending;
    this.pending = undefined;
    return rest && rest.length > 0 ? rest : undefined;
  }
}
