/**
 * Adds one header per RFC 5424 SD-PARAM, named `sd.<SD-ID>.<PARAM-NAME>`, with the value
 * unescaped (`\"`, `\\`, `\]`). `sd` is the raw STRUCTURED-DATA (`[id k="v"][id2 ...]`), already
 * checked to be well-formed by the parser. Later duplicates of a name win.
 */
export function addStructuredDataHeaders(sd: string, headers: Record<string, string>): void {
  let p = 0;
  const n = sd.length;
  while (p < n && sd[p] === '[') {
    p++;
    let end = p;
    while (end < n && sd[end] !== ' ' && sd[end] !== ']') end++;
    const id = sd.slice(p, end);
    p = end;
    while (p < n && sd[p] === ' ') {
      p++;
      const eq = sd.indexOf('=', p);
      if (eq < 0 || sd[eq + 1] !== '"') return;
      const name = sd.slice(p, eq);
      let value = '';
      p = eq + 2;
      while (p < n && sd[p] !== '"') {
        if (sd[p] === '\\' && p + 1 < n && (sd[p + 1] === '"' || sd[p + 1] === '\\' || sd[p + 1] === ']')) p++;
        value += sd[p];
        p++;
      }
      headers[`sd.${id}.${name}`] = value;
      p++;
    }
    if (sd[p] !== ']') return;
    p++;
  }
}
