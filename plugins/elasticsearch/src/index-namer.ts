import { BucketTemplate, SluiceError, type SluiceEvent } from '@sluice/core';
import { epochMillis } from './document-formats.js';

/** How the index of an event is named (Flume's two IndexNameBuilders). */
export type IndexNameBuilderName = 'time_based' | 'simple';

type DatePart = { text: string } | { field: 'yyyy' | 'yy' | 'MM' | 'dd' | 'HH' | 'mm' | 'ss' };

const FIELDS = ['yyyy', 'yy', 'MM', 'dd', 'HH', 'mm', 'ss'] as const;

/**
 * Parses the subset of Java's SimpleDateFormat patterns that index names use: `yyyy yy MM dd HH
 * mm ss`, text in single quotes, and the characters `- . _` and digits. Returns an error message
 * for anything else, so validate can report it.
 */
export function parseDatePattern(pattern: string): DatePart[] | string {
  const parts: DatePart[] = [];
  let i = 0;
  while (i < pattern.length) {
    const field = FIELDS.find((f) => pattern.startsWith(f, i));
    if (field) {
      parts.push({ field });
      i += field.length;
    } else if (pattern[i] === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return `dateFormat '${pattern}' has an unclosed quote`;
      parts.push({ text: pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[-._0-9]/.test(pattern[i]!)) {
      parts.push({ text: pattern[i]! });
      i++;
    } else {
      return `dateFormat '${pattern}' uses '${pattern[i]}', which index names cannot take; use yyyy, yy, MM, dd, HH, mm, ss, - . _ and quoted text`;
    }
  }
  return parts;
}

/** The message Intl gives for an unknown IANA zone, or undefined when `zone` is valid. */
export function timeZoneError(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `timeZone '${zone}' is not an IANA time zone (like Etc/UTC or Europe/Paris)`;
  }
}

/**
 * Names the index of each event. `simple` renders `indexName` (with Flume's escapes, e.g.
 * `%{app}`); `time_based` (Flume's default TimeBasedIndexNameBuilder) appends `-` and the event's
 * day in `dateFormat` and `timeZone`, the event time taken from the `timestamp` header, else
 * `@timestamp`, else the agent clock. Throws SLUICE_EVENT_REJECTED for an event whose time header
 * is not epoch milliseconds.
 */
export class IndexNamer {
  private readonly template: BucketTemplate;
  private readonly date: DatePart[];
  private readonly zone: Intl.DateTimeFormat | undefined;
  private cachedKey = Number.NaN;
  private cachedSuffix = '';

  constructor(indexName: string, private readonly builder: IndexNameBuilderName, dateFormat: string, timeZone: string) {
    this.template = new BucketTemplate(indexName, { useLocalTimeStamp: false });
    const parsed = parseDatePattern(dateFormat);
    if (typeof parsed === 'string') throw new SluiceError('SLUICE_CONFIG_INVALID', parsed);
    this.date = parsed;
    const utc = timeZone === 'Etc/UTC' || timeZone === 'UTC';
    this.zone = utc ? undefined : new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
  }

  name(event: SluiceEvent, now = Date.now()): string {
    if (this.builder === 'simple') return this.template.render(event, now);
    const time = epochMillis(event, 'timestamp') ?? epochMillis(event, '@timestamp') ?? now;
    return `${this.template.render(event, now)}-${this.suffix(time)}`;
  }

  private suffix(time: number): string {
    const second = Math.floor(time / 1000);
    if (second === this.cachedKey) return this.cachedSuffix;
    const values = this.fields(second * 1000);
    let out = '';
    for (const part of this.date) out += 'text' in part ? part.text : values[part.field];
    this.cachedKey = second;
    this.cachedSuffix = out;
    return out;
  }

  private fields(time: number): Record<(typeof FIELDS)[number], string> {
    let y: number, mo: number, d: number, h: number, mi: number, s: number;
    if (this.zone === undefined) {
      const date = new Date(time);
      [y, mo, d, h, mi, s] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
    } else {
      const parts = Object.fromEntries(this.zone.formatToParts(time).map((p) => [p.type, Number(p.value)]));
      [y, mo, d, h, mi, s] = [parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!];
    }
    const pad = (n: number): string => String(n).padStart(2, '0');
    return { yyyy: String(y).padStart(4, '0'), yy: pad(y % 100), MM: pad(mo), dd: pad(d), HH: pad(h), mm: pad(mi), ss: pad(s) };
  }
}
