import type { SluiceEvent } from '@sluice/core';

/** Wire formats of the http sink; both are readable by the http source's json/ndjson handlers. */
export type BatchFormat = 'json' | 'ndjson';

/**
 * Encodes a batch as Flume's JSON shape (`[{"headers":{...},"body":"..."}]`) or as one such
 * object per line. Bodies are decoded as UTF-8 text, since the shape only carries strings.
 */
export function encodeBatch(events: readonly SluiceEvent[], format: BatchFormat): Buffer {
  const items = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    items[i] = `{"headers":${JSON.stringify(event.headers)},"body":${JSON.stringify(event.body.toString('utf8'))}}`;
  }
  return Buffer.from(format === 'json' ? `[${items.join(',')}]` : `${items.join('\n')}\n`, 'utf8');
}
