import os from 'node:os';
import { SluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';

/** Units a timestamp can be rounded down to before the time escapes are expanded. */
export type RoundUnit = 'second' | 'minute' | 'hour' | 'day';

/** Options of {@link BucketTemplate}; the names follow Flume's hdfs sink keys. */
export interface BucketTemplateOptions {
  /** Round the timestamp down to a multiple of `roundValue` `roundUnit`s (Flume `round`). */
  round?: boolean;
  /** The multiple to round down to, e.g. 10 with `minute` gives 10-minute buckets. */
  roundValue?: number;
  roundUnit?: RoundUnit;
  /** Use the agent's clock instead of the event's `timestamp` header (Flume `useLocalTimeStamp`). */
  useLocalTimeStamp?: boolean;
  /** `utc` (default) or `local`: the time zone of the date escapes. */
  timeZone?: 'utc' | 'local';
  /** The header holding the event time in epoch milliseconds (default `timestamp`). */
  timestampHeader?: string;
}

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'header'; name: string }
  | { kind: 'time'; field: string };

/** The largest distance from the epoch a Date can hold (ECMAScript time values). */
const MAX_DATE_MS = 8.64e15;
/** Largest roundValue the bucketing schema accepts: a million days still fits the Date range. */
export const MAX_ROUND_VALUE = 1_000_000;
const UNIT_MS: Record<RoundUnit, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const TIME_FIELDS = new Set('YymndeHkIMSpjaAbBcDzst'.split(''));
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
/** Header values that need no encoding: no separator, percent, colon or control character, no leading dot. */
const SAFE_VALUE = /^(?!\.)[^\x00-\x1f\x7f/\\%:]*$/;

/**
 * Makes a header value safe to splice into a path or key: it can never add a path segment or
 * climb out of the prefix. `/`, `\`, `%`, control characters and leading dots are
 * percent-encoded (`../../etc` becomes `%2E%2E%2F..%2Fetc`), and so is `:`, which HDFS refuses
 * in a path component (an IPv6 address or a time would otherwise fail the write). Everything
 * else is kept.
 */
export function encodeHeaderValue(value: string): string {
  if (SAFE_VALUE.test(value)) return value;
  let out = '';
  let leading = true;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || ch === '/' || ch === '\\' || ch === '%' || ch === ':' || (leading && ch === '.')) {
      out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      out += ch;
    }
    if (ch !== '.') leading = false;
  }
  return out;
}

/**
 * A compiled path/key template with Flume's escapes, shared by the hdfs and s3 sinks:
 * `%{header}` (value encoded by {@link encodeHeaderValue}), `%[localhost] %[IP] %[FQDN]`,
 * `%t` (epoch ms), `%s` (epoch s), the date fields `%Y %y %m %n %d %e %H %k %I %M %S %p %j %a
 * %A %b %B %c %D %z`, and `%%` for a literal percent sign.
 *
 * Sinks compile the template once at construction (which throws SLUICE_CONFIG_INVALID on an
 * unknown escape; {@link bucketTemplateError} reports the same at validate time) and call
 * {@link render} per event. Rendering an event without a usable `timestamp` header, when the
 * template has time escapes and `useLocalTimeStamp` is off, throws the non-retriable
 * SLUICE_EVENT_REJECTED (retrying cannot invent the missing time).
 */
export class BucketTemplate {
  private readonly parts: Part[];
  /** True when the rendered value depends on the event's time. */
  readonly usesTime: boolean;
  /** True when the rendered value is the same for every event. */
  readonly constant: boolean;
  private readonly roundMs: number;
  private readonly local: boolean;
  private readonly timestampHeader: string;

  constructor(readonly template: string, private readonly options: BucketTemplateOptions = {}) {
    const parsed = parseTemplate(template, hostValue);
    if ('error' in parsed) throw new SluiceError('SLUICE_CONFIG_INVALID', parsed.error);
    this.parts = parsed.parts;
    this.usesTime = this.parts.some((p) => p.kind === 'time');
    this.constant = this.parts.every((p) => p.kind === 'text');
    this.roundMs = options.round ? (options.roundValue ?? 1) * UNIT_MS[options.roundUnit ?? 'second'] : 0;
    if (!Number.isSafeInteger(this.roundMs) || this.roundMs > MAX_DATE_MS) {
      throw new SluiceError('SLUICE_CONFIG_INVALID', `bucket template '${template}': roundValue ${options.roundValue} ${options.roundUnit ?? 'second'}s is not a usable rounding; use at most ${MAX_ROUND_VALUE} units`);
    }
    this.local = options.timeZone === 'local';
    this.timestampHeader = options.timestampHeader ?? 'timestamp';
  }

  /** The literal text before the first escape: everything rendered starts with it. */
  get staticPrefix(): string {
    let out = '';
    for (const part of this.parts) {
      if (part.kind !== 'text') break;
      out += part.text;
    }
    return out;
  }

  /** Expands the template for one event; `now` is the agent clock used with useLocalTimeStamp. */
  render(event: SluiceEvent, now = Date.now()): string {
    if (this.constant) return this.parts.length === 0 ? '' : (this.parts[0] as { text: string }).text;
    let time = 0;
    if (this.usesTime) time = this.eventTime(event, now);
    // Events of a batch mostly share their second: expand the date fields once per second.
    const second = Math.floor(time / 1000);
    if (this.usesTime && second !== this.cachedSecond) {
      const date = new Date(second * 1000);
      for (let i = 0; i < this.parts.length; i++) {
        const part = this.parts[i]!;
        if (part.kind === 'time' && part.field !== 't') this.cachedFields[i] = this.timeField(part.field, second * 1000, date);
      }
      this.cachedSecond = second;
    }
    let out = '';
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i]!;
      if (part.kind === 'text') out += part.text;
      // Own properties only: `%{constructor}` must not render Object's constructor.
      else if (part.kind === 'header') out += encodeHeaderValue(Object.hasOwn(event.headers, part.name) ? event.headers[part.name]! : '');
      else out += part.field === 't' ? String(time) : this.cachedFields[i];
    }
    return out;
  }

  /** Expanded date fields of `cachedSecond`, by part index. */
  private readonly cachedFields: string[] = [];
  private cachedSecond = Number.NaN;

  private eventTime(event: SluiceEvent, now: number): number {
    let time = now;
    if (!this.options.useLocalTimeStamp) {
      const raw = event.headers[this.timestampHeader];
      time = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
      // Beyond ±8.64e15 ms a Date is invalid: such a header is the event's fault, never retriable.
      if (!Number.isFinite(time) || Math.abs(time) > MAX_DATE_MS) {
        throw new SluiceError('SLUICE_EVENT_REJECTED', `bucket template '${this.template}' has time escapes but an event has no usable '${this.timestampHeader}' header in epoch milliseconds (got ${JSON.stringify(raw?.slice(0, 40))}); add the timestamp interceptor or set useLocalTimeStamp: true`);
      }
    }
    const rounded = this.roundMs > 0 ? time - (((time % this.roundMs) + this.roundMs) % this.roundMs) : time;
    // Rounding down can leave the Date range (and so can a clock far off): never render NaN.
    if (!Number.isFinite(rounded) || Math.abs(rounded) > MAX_DATE_MS) {
      throw new SluiceError('SLUICE_EVENT_REJECTED', `bucket template '${this.template}': the event time ${time} rounded down to ${rounded} ms is outside the range a date can hold (±${MAX_DATE_MS} ms from 1970)`);
    }
    return rounded;
  }

  private timeField(field: string, time: number, d: Date): string {
    const l = this.local;
    const year = l ? d.getFullYear() : d.getUTCFullYear();
    const month = l ? d.getMonth() : d.getUTCMonth();
    const day = l ? d.getDate() : d.getUTCDate();
    const hour = l ? d.getHours() : d.getUTCHours();
    const minute = l ? d.getMinutes() : d.getUTCMinutes();
    const second = l ? d.getSeconds() : d.getUTCSeconds();
    const weekday = l ? d.getDay() : d.getUTCDay();
    switch (field) {
      case 't': return String(time);
      case 's': return String(Math.floor(time / 1000));
      case 'Y': return String(year);
      case 'y': return pad(year % 100);
      case 'm': return pad(month + 1);
      case 'n': return String(month + 1);
      case 'd': return pad(day);
      case 'e': return String(day);
      case 'H': return pad(hour);
      case 'k': return String(hour);
      case 'I': return pad(((hour + 11) % 12) + 1);
      case 'M': return pad(minute);
      case 'S': return pad(second);
      case 'p': return hour < 12 ? 'AM' : 'PM';
      // Calendar arithmetic: Date.UTC(year, 0, 1) is NaN for a date in the first days of the Date range.
      case 'j': return pad(daysFromCivil(year, month + 1, day) - daysFromCivil(year, 1, 1) + 1, 3);
      case 'a': return DAYS[weekday]!.slice(0, 3);
      case 'A': return DAYS[weekday]!;
      case 'b': return MONTHS[month]!.slice(0, 3);
      case 'B': return MONTHS[month]!;
      case 'c': return `${DAYS[weekday]!.slice(0, 3)} ${MONTHS[month]!.slice(0, 3)} ${day} ${pad(hour)}:${pad(minute)}:${pad(second)} ${year}`;
      case 'D': return `${pad(month + 1)}/${pad(day)}/${pad(year % 100)}`;
      case 'z': {
        const offset = l ? -d.getTimezoneOffset() : 0;
        const abs = Math.abs(offset);
        return `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
      }
      default: return '';
    }
  }
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), for any year. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function hostValue(name: string): string {
  switch (name) {
    case 'localhost': return os.hostname().split('.')[0]!;
    case 'FQDN': return os.hostname();
    case 'IP': {
      for (const list of Object.values(os.networkInterfaces())) {
        for (const ni of list ?? []) if (ni.family === 'IPv4' && !ni.internal) return ni.address;
      }
      return '127.0.0.1';
    }
    default: return '';
  }
}

/**
 * Why `template` is not a valid bucket template, or undefined when it is: the same text the
 * {@link BucketTemplate} constructor throws (SLUICE_CONFIG_INVALID), from the same parser. Pure
 * (host escapes are not looked up) and never throws, for components' validate-time `check`.
 */
export function bucketTemplateError(template: string): string | undefined {
  const parsed = parseTemplate(template, () => '');
  return 'error' in parsed ? parsed.error : undefined;
}

/** Splits a template into parts; `host` expands %[localhost|IP|FQDN] into literal text. */
function parseTemplate(template: string, host: (name: string) => string): { parts: Part[] } | { error: string } {
  const parts: Part[] = [];
  let text = '';
  const invalid = (what: string): { error: string } =>
    ({ error: `bucket template '${template}': ${what}; use %{header}, %[localhost|IP|FQDN], %% or a date escape such as %Y %m %d %H %M %S` });
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '%') {
      text += ch;
      continue;
    }
    const next = template[++i];
    if (next === undefined) return invalid('it ends with a lone %');
    if (next === '%') {
      text += '%';
      continue;
    }
    if (next === '{' || next === '[') {
      const close = template.indexOf(next === '{' ? '}' : ']', i);
      if (close < 0) return invalid(`unclosed %${next}`);
      const name = template.slice(i + 1, close);
      i = close;
      if (next === '{') {
        if (name === '') return invalid('empty %{} header name');
        if (text) parts.push({ kind: 'text', text });
        text = '';
        parts.push({ kind: 'header', name });
      } else {
        if (!['localhost', 'IP', 'FQDN'].includes(name)) return invalid(`unknown host escape %[${name}]`);
        text += host(name);
      }
      continue;
    }
    if (!TIME_FIELDS.has(next)) return invalid(`unknown escape %${next}`);
    if (text) parts.push({ kind: 'text', text });
    text = '';
    parts.push({ kind: 'time', field: next });
  }
  if (text) parts.push({ kind: 'text', text });
  return { parts };
}
