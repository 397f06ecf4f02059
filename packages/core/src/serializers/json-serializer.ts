import type { SluiceEvent } from '../event.js';
import type { EventSerializer } from './event-serializer.js';

/**
 * One JSON object per line: `{"headers":{...},"body":"..."}`. The body is decoded as UTF-8
 * (invalid sequences become U+FFFD); use avro_event to keep binary bodies byte for byte.
 */
export class JsonSerializer implements EventSerializer {
  readonly extension = 'json';

  serialize(events: readonly SluiceEvent[]): Buffer {
    let text = '';
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      text += `{"headers":${JSON.stringify(event.headers)},"body":${JSON.stringify(event.body.toString('utf8'))}}\n`;
    }
    return Buffer.from(text, 'utf8');
  }
}
