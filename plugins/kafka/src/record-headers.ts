import type { IHeaders } from 'kafkajs';

/**
 * Kafka record headers as event headers: values decoded as UTF-8; a header repeated in one record
 * keeps its last value. Adds to `into` and returns it.
 */
export function headersFromRecord(headers: IHeaders | undefined, into: Record<string, string>): Record<string, string> {
  if (headers === undefined) return into;
  for (const key in headers) {
    let value = headers[key];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined) continue;
    into[key] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return into;
}

/** Event headers as Kafka record headers (UTF-8 strings), or undefined when there are none. */
export function headersToRecord(headers: Record<string, string>): IHeaders | undefined {
  for (const _ in headers) return headers;
  return undefined;
}
