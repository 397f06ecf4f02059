import type { SluiceEvent } from '@sluice/core';

/**
 * A value built per event from literal text and `%{header}` references (a missing header is
 * empty), e.g. `%{tenant}-%{host}` for a FIFO MessageGroupId. Parsed once.
 */
export class MessageTemplate {
  private readonly parts: (string | { header: string })[] = [];
  readonly constant: boolean;

  constructor(readonly source: string) {
    const pattern = /%\{([^}]+)\}/g;
    let last = 0;
    for (let match; (match = pattern.exec(source)) !== null; last = pattern.lastIndex) {
      if (match.index > last) this.parts.push(source.slice(last, match.index));
      this.parts.push({ header: match[1]! });
    }
    if (last < source.length) this.parts.push(source.slice(last));
    this.constant = this.parts.every((p) => typeof p === 'string');
  }

  render(event: SluiceEvent): string {
    if (this.constant) return this.source;
    let out = '';
    for (const part of this.parts) out += typeof part === 'string' ? part : event.headers[part.header] ?? '';
    return out;
  }
}
