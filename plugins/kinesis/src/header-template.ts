import type { SluiceEvent } from '@sluice/core';

/**
 * A partition or explicit hash key template: literal text with `%{header}` escapes, e.g.
 * `%{host}` or `app-%{service}`. A missing header renders as the empty string. Parsed once at
 * construction; `render` is a loop over the parts (hot path: one call per event).
 */
export class HeaderTemplate {
  private readonly parts: (string | { header: string })[] = [];
  /** True when the template has no escape, so every event gets the same key. */
  readonly constant: boolean;

  constructor(readonly source: string) {
    const pattern = /%\{([^}]*)\}/g;
    let last = 0;
    for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
      if (match.index > last) this.parts.push(source.slice(last, match.index));
      this.parts.push({ header: match[1]! });
      last = match.index + match[0].length;
    }
    if (last < source.length) this.parts.push(source.slice(last));
    this.constant = this.parts.every((p) => typeof p === 'string');
  }

  render(event: SluiceEvent): string {
    let out = '';
    for (const part of this.parts) out += typeof part === 'string' ? part : event.headers[part.header] ?? '';
    return out;
  }
}

/** The problem with a template (an unclosed or empty escape), or undefined when it is fine. */
export function headerTemplateError(template: string): string | undefined {
  const stripped = template.replace(/%\{[^}]+\}/g, '');
  if (stripped.includes('%{')) return `'${template}' has an unclosed or empty %{...} escape; write %{headerName}`;
  return undefined;
}
