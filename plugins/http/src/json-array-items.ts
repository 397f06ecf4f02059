/** Where one item of a top-level JSON array is in its text: `text.slice(start, end)`. */
export interface ItemSpan {
  start: number;
  end: number;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Splits the text of a top-level JSON array into the spans of its items without parsing them, so
 * a big body can be parsed item by item, yielding to the event loop between slices. Strings (with
 * escapes) and nesting are skipped; the structure around the items (`[`, commas, `]`, white space)
 * is checked here, each item's own syntax by JSON.parse of its span. Throws a SyntaxError naming
 * the offset when the text is not an array of items.
 */
export function* jsonArrayItemSpans(text: string): Generator<ItemSpan> {
  let i = 0;
  const n = text.length;
  const skipSpace = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };
  skipSpace();
  if (text.charCodeAt(i) !== 0x5b) throw new SyntaxError(`expected '[' at offset ${i}`);
  i++;
  skipSpace();
  if (text.charCodeAt(i) === 0x5d) {
    i++;
    skipSpace();
    if (i < n) throw new SyntaxError(`unexpected text after the array at offset ${i}`);
    return;
  }
  for (;;) {
    skipSpace();
    const start = i;
    let depth = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        for (i++; i < n; i++) {
          const d = text.charCodeAt(i);
          if (d === 0x5c) i++;
          else if (d === 0x22) break;
        }
        if (i >= n) throw new SyntaxError(`unterminated string starting before offset ${n}`);
      } else if (c === 0x5b || c === 0x7b) {
        depth++;
      } else if (c === 0x5d || c === 0x7d) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c && depth === 0) {
        break;
      }
    }
    let end = i;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    if (end === start) throw new SyntaxError(`expected an item at offset ${start}`);
    if (i >= n) throw new SyntaxError('unexpected end of the body: the array is not closed');
    yield { start, end };
    const c = text.charCodeAt(i);
    i++;
    if (c === 0x2c) continue;
    if (c !== 0x5d) throw new SyntaxError(`unexpected '${text[i - 1]}' at offset ${i - 1}`);
    skipSpace();
    if (i < n) throw new SyntaxError(`unexpected text after the array at offset ${i}`);
    return;
  }
}
