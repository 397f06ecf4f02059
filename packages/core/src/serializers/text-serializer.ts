import type { SluiceEvent } from '../event.js';
import type { EventSerializer } from './event-serializer.js';

const NEWLINE = 0x0a;

/** Flume's `text` serializer: each body followed by a newline; headers are dropped. */
export class TextSerializer implements EventSerializer {
  readonly extension = 'log';

  serialize(events: readonly SluiceEvent[]): Buffer {
    let size = 0;
    for (let i = 0; i < events.length; i++) size += events[i]!.body.length + 1;
    const out = Buffer.allocUnsafe(size);
    let offset = 0;
    for (let i = 0; i < events.length; i++) {
      const body = events[i]!.body;
      // TypedArray#set is what Buffer#copy ends in, without its argument checks per event.
      out.set(body, offset);
      offset += body.length;
      out[offset++] = NEWLINE;
    }
    return out;
  }
}
