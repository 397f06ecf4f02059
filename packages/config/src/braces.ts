/**
 * The `}` closing each `${` (by the index of its `$`): every `${` opens and every `}` closes, so
 * nested `${...}` are skipped; unclosed ones are absent. One pass with a stack, so a text of ten
 * thousand unclosed `${` costs no more than its length.
 */
export function closingBraces(text: string): Map<number, number> {
  const out = new Map<number, number>();
  const open: number[] = [];
  for (let i = text.indexOf('${'), close = text.indexOf('}'); i >= 0 || close >= 0;) {
    if (i >= 0 && (close < 0 || i < close)) {
      open.push(i);
      i = text.indexOf('${', i + 2);
    } else {
      if (open.length > 0) out.set(open.pop()!, close);
      close = text.indexOf('}', close + 1);
    }
  }
  return out;
}
