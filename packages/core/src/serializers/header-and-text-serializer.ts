import type { SluiceEvent } from '../event.js';
import type { EventSerializer } from './event-serializer.js';

/** Flume's `header_and_text` serializer: `{k1=v1, k2=v2} body` and a newline per event. */
export class HeaderAndTextSerializer implements EventSerializer {
  readonly extension = 'log';

  serialize(events: readonly SluiceEvent[]): Buffer {
    const parts: Buffer[] = [];
    for (const event of events) {
      const headers = Object.entries(event.headers).map(([k, v]) => `${k}=${v}`).join(', ');
      parts.push(Buffer.from(`{${headers}} `, 'utf8'), event.body, NEWLINE_BUFFER);
    }
    return Buffer.concat(parts);
  }
}

const NEWLINE_BUFFER = Buffer.from('\n');
