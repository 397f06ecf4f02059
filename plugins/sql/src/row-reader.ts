import type { SluiceEvent } from '@sluice/core';
import { BodyScanner } from './body-scanner.js';
import type { SimdScan } from './simd-scan.js';
import type { Column } from './sql-stage-config.js';

/** One event read against the schema: its column values, or why it is a bad record. */
export type ReadResult = { values: unknown[] } | { bad: string };

const INTEGER = /^-?[0-9]+$/;

/**
 * Reads events into rows of the declared columns. Values are converted to the column type the way
 * a JSON producer most likely meant them (numeric strings to numbers, epoch ms or ISO-8601 to
 * timestamps, stored as epoch ms); anything else makes the event a bad record with the reason.
 * Body fields are read by a {@link BodyScanner} straight from the bytes, falling back to
 * `JSON.parse` for the bodies it leaves (not JSON, odd shapes); both read a field as the body's
 * own property at that path, so `toString` or `constructor` is never found on a prototype.
 * Called by the sql stage for every event it takes.
 */
export class RowReader {
  private readonly needsBody: boolean;
  private readonly scanner: BodyScanner;

  /** `simd`: the memory the caller may have copied bodies into (see {@link readInto}). */
  constructor(readonly columns: readonly Column[], simd?: SimdScan) {
    this.needsBody = columns.some((c) => c.from === 'body');
    this.scanner = new BodyScanner(columns, simd);
  }

  read(event: SluiceEvent): ReadResult {
    const values = new Array<unknown>(this.columns.length);
    const bad = this.readInto(event, values);
    return bad === undefined ? { values } : { bad };
  }

  /**
   * Reads one event into `values` (reused by the caller between events, so the hot path allocates
   * no row); returns why the event is a bad record, or undefined. `bodyAt`: where an identical
   * copy of the body starts in the constructor's SIMD memory, or -1.
   */
  readInto(event: SluiceEvent, values: unknown[], bodyAt = -1): string | undefined {
    const { columns } = this;
    if (this.needsBody && !this.scanner.scan(event.body, bodyAt)) return this.readParsed(event, values);
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      const raw = column.from === 'header' ? event.headers[column.path[0]!] : this.scanner.value(i);
      const bad = place(column, raw, values, i);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }

  /** {@link readInto} through `JSON.parse`, for the bodies the scanner leaves. */
  private readParsed(event: SluiceEvent, values: unknown[]): string | undefined {
    let body: unknown;
    try {
      body = JSON.parse(event.body.toString('utf8'));
    } catch {
      return 'the body is not JSON';
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body is not a JSON object';
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      let raw: unknown;
      if (column.from === 'header') {
        raw = event.headers[column.path[0]!];
      } else {
        raw = body;
        for (let p = 0; p < column.path.length && raw !== undefined && raw !== null; p++) {
          const name = column.path[p]!;
          raw = Object.hasOwn(raw as object, name) ? (raw as Record<string, unknown>)[name] : undefined;
        }
      }
      const bad = place(column, raw, values, i);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
}

/** Converts one raw value into `values[i]`; returns why it cannot be, or undefined. */
function place(column: Column, raw: unknown, values: unknown[], i: number): string | undefined {
  if (raw === undefined || raw === null) {
    if (!column.nullable) return `${column.from === 'header' ? 'header' : 'field'} '${column.path.join('.')}' is missing`;
    values[i] = null;
    return undefined;
  }
  const value = convert(raw, column.type);
  if (value === undefined) return `${column.from === 'header' ? 'header' : 'field'} '${column.path.join('.')}' is not ${column.type === 'integer' ? 'an' : 'a'} ${column.type}: ${String(JSON.stringify(raw)).slice(0, 60)}`;
  values[i] = value;
  return undefined;
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
