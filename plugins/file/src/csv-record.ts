/**
 * Splits one delimited record into fields. A field may be quoted with `"`: delimiters and
 * newlines inside quotes are data, and `""` inside quotes is one `"`. With `trim`, whitespace
 * around unquoted fields (and around the quotes of quoted ones) is removed.
 */
export function splitDelimited(record: string, delimiter: string, trim: boolean): string[] {
  const fields: string[] = [];
  const n = record.length;
  let i = 0;
  for (;;) {
    let start = i;
    if (trim) while (start < n && (record[start] === ' ' || record[start] === '\t') && !record.startsWith(delimiter, start)) start++;
    if (start < n && record[start] === '"') {
      let value = '';
      let j = start + 1;
      for (;;) {
        const quote = record.indexOf('"', j);
        if (quote < 0) {
          value += record.slice(j);
          j = n;
          break;
        }
        value += record.slice(j, quote);
        if (record[quote + 1] === '"') {
          value += '"';
          j = quote + 2;
        } else {
          j = quote + 1;
          break;
        }
      }
      const next = record.indexOf(delimiter, j);
      const trailing = next < 0 ? record.slice(j) : record.slice(j, next);
      fields.push(trim ? value + trailing.trim() : value + trailing);
      if (next < 0) return fields;
      i = next + delimiter.length;
    } else {
      const next = record.indexOf(delimiter, i);
      const raw = next < 0 ? record.slice(i) : record.slice(i, next);
      fields.push(trim ? raw.trim() : raw);
      if (next < 0) return fields;
      i = next + delimiter.length;
    }
  }
}
