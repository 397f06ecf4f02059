import type { SluiceEvent } from '@sluice/core';
import type { Column } from './sql-stage-config.js';

/** One event read against the schema: its column values, or why it is a bad record. */
export type ReadResult = { values: unknown[] } | { bad: string };

const INTEGER = /^-?[0-9]+$/;

/**
 * Reads events into rows of the declared columns. Values are converted to the column type the way
 * a JSON producer most likely meant them (numeric strings to numbers, epoch ms or ISO-8601 to
 * timestamps, stored as epoch ms); anything else makes the event a bad record with the reason.
 * Called by the sql stage for every event it takes, so it allocates one array per event.
 */
export class RowReader {
  private readonly needsBody: boolean;

  constructor(readonly columns: readonly Column[]) {
    this.needsBody = columns.some((c) => c.from === 'body');
  }

  read(event: SluiceEvent): ReadResult {
    const values = new Array<unknown>(this.columns.length);
    const bad = this.readInto(event, values);
    return bad === undefined ? { values } : { bad };
  }

  /**
   * Reads one event into `values` (reused by the caller between events, so the hot path allocates
   * no row); returns why the event is a bad record, or undefined.
   */
  readInto(event: SluiceEvent, values: unknown[]): string | undefined {
    let body: unknown;
    if (this.needsBody) {
      try {
        body = JSON.parse(event.body.toString('utf8'));
      } catch {
        return 'the body is not JSON';
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body is not a JSON object';
    }
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      let raw: unknown;
      if (column.from === 'header') {
        raw = event.headers[column.path[0]!];
      } else {
        raw = body;
        for (let p = 0; p < column.path.length && raw !== undefined && raw !== null; p++) raw = (raw as Record<string, unknown>)[column.path[p]!];
      }
      if (raw === undefined || raw === null) {
        if (!column.nullable) return `${column.from === 'header' ? 'header' : 'field'} '${column.path.join('.')}' is missing`;
        values[i] = null;
        continue;
      }
      const value = convert(raw, column.type);
      if (value === undefined) return `${column.from === 'header' ? 'header' : 'field'} '${column.path.join('.')}' is not ${column.type === 'integer' ? 'an' : 'a'} ${column.type}: ${String(JSON.stringify(raw)).slice(0, 60)}`;
      values[i] = value;
    }
    return undefined;
  }
}

/** Converts a JSON value to a column type; undefined when it cannot be. Timestamps become epoch ms. */
export function convert(raw: unknown, type: Column['type']): unknown {
  switch (type) {
    case 'varchar':
      return typeof raw === 'string' ? raw : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
    case 'integer':
    case 'bigint':
      if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
      if (typeof raw === 'string' && INTEGER.test(raw)) {
        const n = Number(raw);
        return Number.isSafeInteger(n) ? n : undefined;
      }
      return undefined;
    case 'double':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'string' && raw.trim() !== '') {
        const n = Number(raw);
        return Number.isFinite(n) ? n : undefined;
      }
      return undefined;
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      return undefined;
    case 'timestamp':
      return toEpochMs(raw);
  }
}

/** Epoch ms from a number, a numeric string or an ISO-8601 string; undefined otherwise. */
export function toEpochMs(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? Math.trunc(raw) : undefined;
  if (typeof raw !== 'string') return undefined;
  if (INTEGER.test(raw)) return Number(raw);
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : ms;
}
