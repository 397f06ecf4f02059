import { SluiceError, type SluiceEvent } from '@sluice/core';

/** How an event becomes an Elasticsearch document (Flume's two serializers). */
export type DocumentFormat = 'logstash' | 'dynamic';

const decoder = new TextDecoder('utf-8');

/**
 * A field value as Flume's ContentBuilderUtil writes it: text that is a valid JSON object is
 * embedded as that object, anything else (including invalid JSON that starts with `{`) stays a
 * string. Bodies are decoded as UTF-8; bytes that are not UTF-8 become U+FFFD, as in Flume.
 */
export function fieldValue(text: string): unknown {
  if (text.length > 1 && text.trimStart().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
    } catch {
      // Not JSON after all: Flume falls back to the plain string.
    }
  }
  return text;
}

/** Reads a header that must hold epoch milliseconds; rejects the event when it does not. */
export function epochMillis(event: SluiceEvent, header: string): number | undefined {
  const raw = event.headers[header];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || Math.abs(value) > 8.64e15) {
    throw new SluiceError('SLUICE_EVENT_REJECTED', `header ${header}='${raw.slice(0, 40)}' is not a time in epoch milliseconds`);
  }
  return value;
}

const LOGSTASH_HEADERS: readonly [string, string][] = [['source', '@source'], ['type', '@type'], ['host', '@source_host'], ['src_path', '@source_path']];

/**
 * The document of one event, field for field as Flume's ElasticSearchLogStashEventSerializer
 * (`logstash`: `@message`, `@timestamp` from the `timestamp` header unless an `@timestamp` header
 * is set, `@source`/`@type`/`@source_host`/`@source_path` from `source`/`type`/`host`/`src_path`,
 * every header under `@fields`) or ElasticSearchDynamicSerializer (`dynamic`: `body` and every
 * header as a top-level field) builds it. Throws the non-retriable SLUICE_EVENT_REJECTED for a
 * `timestamp` header that is not epoch milliseconds (Flume would fail the whole batch forever).
 */
export function eventDocument(event: SluiceEvent, format: DocumentFormat): Record<string, unknown> {
  const headers = event.headers;
  const doc: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (format === 'dynamic') {
    doc.body = fieldValue(decoder.decode(event.body));
    for (const key of Object.keys(headers)) doc[key] = fieldValue(headers[key]!);
    return doc;
  }
  doc['@message'] = fieldValue(decoder.decode(event.body));
  if (isBlank(headers['@timestamp'])) {
    const time = epochMillis(event, 'timestamp');
    if (time !== undefined) doc['@timestamp'] = new Date(time).toISOString();
  }
  for (const [from, to] of LOGSTASH_HEADERS) {
    const value = headers[from];
    if (!isBlank(value) && isBlank(headers[to])) doc[to] = fieldValue(value!);
  }
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(headers)) fields[key] = fieldValue(headers[key]!);
  doc['@fields'] = fields;
  return doc;
}

function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}
