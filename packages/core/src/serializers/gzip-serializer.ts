import { gzipSync } from 'node:zlib';
import type { SluiceEvent } from '../event.js';
import type { EventSerializer } from './event-serializer.js';

/**
 * Wraps a serializer so every chunk it produces (header, each batch, footer) becomes one gzip
 * member. Concatenated members form a valid gzip file (RFC 1952 section 2.2) that `zcat` and
 * `gunzip` read whole, and a file closed or appended at any batch boundary stays readable.
 */
export class GzipSerializer implements EventSerializer {
  readonly extension: string;

  constructor(private readonly inner: EventSerializer, private readonly level = 6) {
    this.extension = `${inner.extension}.gz`;
  }

  header(): Buffer {
    const header = this.inner.header?.();
    return header && header.length > 0 ? gzipSync(header, { level: this.level }) : Buffer.alloc(0);
  }

  serialize(events: readonly SluiceEvent[]): Buffer {
    return gzipSync(this.inner.serialize(events), { level: this.level });
  }

  footer(): Buffer {
    const footer = this.inner.footer?.();
    return footer && footer.length > 0 ? gzipSync(footer, { level: this.level }) : Buffer.alloc(0);
  }
}
