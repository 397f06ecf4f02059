/**
 * Counts the items of a top-level JSON array without parsing it: commas at depth 1 outside
 * strings, plus one once the array holds anything. Fed either the raw UTF-8 bytes as they arrive
 * ({@link feedBytes}, chunk by chunk, a chunk may end anywhere) or decoded text
 * ({@link feedText}); both run the same state machine, so the http source's early count and the
 * json handler's count of the whole body agree. UTF-8 puts every byte of a multi-byte character at
 * 0x80 or above, so the ASCII brackets, quotes and commas are found in raw bytes too.
 *
 * A malformed body only needs not to be miscounted low: JSON.parse validates it later. A comma
 * counts even where no item precedes it (`[,`).
 */
export class JsonArrayItemCounter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private commas = 0;
  private empty = true;
  private closed = false;

  /** Items seen so far. */
  get count(): number {
    return this.empty && this.commas === 0 ? 0 : this.commas + 1;
  }

  /**
   * Adds the next bytes of the body; returns the items so far. Inside a string only `"` and `\`
   * matter, so the scan jumps to the next of them (native searches, not a JavaScript step per
   * byte): string contents are most of a Flume JSON body.
   */
  feedBytes(chunk: Buffer): number {
    const n = chunk.length;
    // The next backslash at or after the scan (-1: none left in this chunk), found only when needed.
    let backslash = -2;
    for (let i = 0; i < n && !this.closed; i++) {
      if (this.inString && !this.escaped) {
        if (backslash !== -1 && backslash < i) backslash = chunk.indexOf(0x5c, i);
        const quote = chunk.indexOf(0x22, i);
        const next = backslash === -1 ? quote : quote === -1 ? backslash : Math.min(quote, backslash);
        if (next === -1) break;
        i = next;
      }
      this.step(chunk[i]!);
    }
    return this.count;
  }

  /** Adds the next characters of the body; stops early (returns more than `limit`) once past `limit`. */
  feedText(text: string, limit = Infinity): number {
    for (let i = 0; i < text.length && !this.closed; i++) {
      this.step(text.charCodeAt(i));
      if (this.commas > 0 && this.commas >= limit) return this.count;
    }
    return this.count;
  }

  private step(c: number): void {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === 0x5c) this.escaped = true;
      else if (c === 0x22) this.inString = false;
    } else if (c === 0x22) {
      this.inString = true;
      if (this.depth === 1) this.empty = false;
    } else if (c === 0x5b || c === 0x7b) { // [ {
      if (this.depth === 1) this.empty = false;
      this.depth++;
    } else if (c === 0x5d || c === 0x7d) { // ] }
      if (--this.depth === 0) this.closed = true;
    } else if (c === 0x2c && this.depth === 1) {
      this.commas++;
    } else if (this.depth === 1 && c > 0x20) {
      this.empty = false;
    }
  }
}

/**
 * The items of the top-level JSON array in `text`, stopping as soon as there are more than
 * `limit`: a body of a million empty objects is refused after a few kilobytes, before any object
 * is built.
 */
export function countJsonArrayItems(text: string, limit: number): number {
  return new JsonArrayItemCounter().feedText(text, limit);
}
