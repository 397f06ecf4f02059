import { isUtf8 } from 'node:buffer';
import type { SluiceEvent } from '../event.js';
import type { EventSerializer } from './event-serializer.js';

/**
 * One JSON object per line: `{"headers":{...},"body":"..."}`, the body as text when it is valid
 * UTF-8. A body that is not (binary data, another charset) is written base64-encoded with a
 * marker, `{"headers":{...},"body":"AAEC...","bodyEncoding":"base64"}`, so every body survives
 * byte for byte; readers decode `body` from base64 when `bodyEncoding` is present.
 */
export class JsonSerializer implements EventSerializer {
  readonly extension = 'json';

  serialize(events: readonly SluiceEvent[]): Buffer {
    let text = '';
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const body = event.body;
      text += isUtf8(body)
        ? `{"headers":${JSON.stringify(event.headers)},"body":${JSON.stringify(body.toString('utf8'))}}\n`
        : `{"headers":${JSON.stringify(event.headers)},"body":"${body.toString('base64')}","bodyEncoding":"base64"}\n`;
    }
    return Buffer.from(text, 'utf8');
  }
}
