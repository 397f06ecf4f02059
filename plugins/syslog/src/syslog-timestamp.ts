const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_BY_KEY = new Map(MONTHS.map((name, i) => [name.charCodeAt(0) * 65536 + name.charCodeAt(1) * 256 + name.charCodeAt(2), i]));
const SP = 0x20;

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

function two(buf: Buffer, i: number): number {
  return (buf[i]! - 0x30) * 10 + buf[i + 1]! - 0x30;
}

/**
 * Length of the RFC 3164 stamp at `start` (`Mmm d hh:mm:ss` with one or two spaces before a one-
 * or two-digit day, as Flume's pattern `[A-Z][a-z][a-z]\s{1,2}\d{1,2}\s\d{2}:\d{2}:\d{2}` reads
 * it: `May 4 05:16:01`, `May  4 ...`, `Nov 24 ...`, `Nov  24 ...`), or 0 when there is none.
 * It checks the shape only; {@link parseBsdTimestamp} checks the values. Nothing at or after
 * `end` is part of the stamp.
 */
export function bsdTimestampLength(buf: Buffer, start: number, end = buf.length): number {
  // A match reads only bytes inside the length it returns: one that fits before `end` read only
  // the frame, and one that does not fit is no match, which is what a copy of the frame gives.
  const length = bsdStampShape(buf, start);
  return start + length <= end ? length : 0;
}

function bsdStampShape(buf: Buffer, start: number): number {
  const c0 = buf[start];
  if (c0 === undefined || c0 < 0x41 || c0 > 0x5a) return 0;
  for (let i = 1; i < 3; i++) {
    const c = buf[start + i];
    if (c === undefined || c < 0x61 || c > 0x7a) return 0;
  }
  let p = start + 3;
  if (buf[p] !== SP) return 0;
  p++;
  if (buf[p] === SP) p++;
  if (!isDigit(buf[p])) return 0;
  p++;
  if (isDigit(buf[p])) p++;
  if (buf[p] !== SP || !isDigit(buf[p + 1]) || !isDigit(buf[p + 2]) || buf[p + 3] !== 0x3a
    || !isDigit(buf[p + 4]) || !isDigit(buf[p + 5]) || buf[p + 6] !== 0x3a || !isDigit(buf[p + 7]) || !isDigit(buf[p + 8])) return 0;
  return p + 9 - start;
}

/** `date` plus `months` calendar months, the day clamped to the target month (as Java's Calendar.add does). */
function addMonths(date: Date, months: number): number {
  const d = new Date(date.getTime());
  const day = d.getDate();
  d.setDate(1);
  d.setMonth(d.getMonth() + months);
  const last = new Date(d.getFullYear(), d.getMonth() + 1, 0).getDate();
  d.setDate(Math.min(day, last));
  return d.getTime();
}

/**
 * Parses the RFC 3164 stamp of `length` bytes at `start` (shape checked by
 * {@link bsdTimestampLength}) as the agent's local time. The stamp has no year; like Flume, the
 * year is chosen so that the time falls within one month ahead of and eleven months behind `now`:
 * a `Jan  1 00:00:07` read on Dec 31 is next year's, a `Dec 31` read on Jan 1 last year's.
 * Returns epoch ms, or NaN for an unknown month or out-of-range values.
 */
export function parseBsdTimestamp(buf: Buffer, start: number, length: number, now = Date.now()): number {
  const month = MONTH_BY_KEY.get(buf[start]! * 65536 + buf[start + 1]! * 256 + buf[start + 2]!);
  if (month === undefined) return NaN;
  const end = start + length;
  let p = start + 4;
  if (buf[p] === SP) p++;
  const day = isDigit(buf[p + 1]) ? two(buf, p) : buf[p]! - 0x30;
  const hour = two(buf, end - 8);
  const minute = two(buf, end - 5);
  const second = two(buf, end - 2);
  if (!(day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60)) return NaN;
  const year = new Date(now).getFullYear();
  const parsed = new Date(year, month, day, hour, minute, second);
  if (parsed.getDate() !== day) return NaN;
  const ms = parsed.getTime();
  if (ms > now && addMonths(parsed, -1) > now) return addMonths(parsed, -12);
  if (ms < now && addMonths(parsed, 11) < now) return addMonths(parsed, 12);
  return ms;
}

/**
 * Length of the RFC 3339 stamp at `start` in the shape Flume's syslog pattern accepts,
 * `yyyy-MM-ddTHH:mm:ss[.f{1,6}][Z|+hh:mm|-hh:mm]`, or 0 when there is none. Nothing at or after
 * `end` is part of the stamp.
 */
export function rfc3339Length(buf: Buffer, start: number, end = buf.length): number {
  const s = start;
  if (end - s < 19) return 0;
  if (!isDigit(buf[s]) || !isDigit(buf[s + 1]) || !isDigit(buf[s + 2]) || !isDigit(buf[s + 3]) || !isDigit(buf[s + 5]) || !isDigit(buf[s + 6])
    || !isDigit(buf[s + 8]) || !isDigit(buf[s + 9]) || !isDigit(buf[s + 11]) || !isDigit(buf[s + 12]) || !isDigit(buf[s + 14])
    || !isDigit(buf[s + 15]) || !isDigit(buf[s + 17]) || !isDigit(buf[s + 18])) return 0;
  if (buf[s + 4] !== 0x2d || buf[s + 7] !== 0x2d || buf[s + 10] !== 0x54 || buf[s + 13] !== 0x3a || buf[s + 16] !== 0x3a) return 0;
  let p = s + 19;
  if (p < end && buf[p] === 0x2e) {
    let digits = 0;
    while (p + 1 + digits < end && isDigit(buf[p + 1 + digits])) digits++;
    if (digits < 1 || digits > 6) return 0;
    p += 1 + digits;
  }
  if (p < end && buf[p] === 0x5a) {
    p++;
  } else if (p + 5 < end && (buf[p] === 0x2b || buf[p] === 0x2d) && isDigit(buf[p + 1]) && isDigit(buf[p + 2]) && buf[p + 3] === 0x3a && isDigit(buf[p + 4]) && isDigit(buf[p + 5])) {
    p += 6;
  }
  return p - s;
}

/**
 * Parses the RFC 3339 stamp of `length` bytes at `start` (shape checked by {@link rfc3339Length}).
 * The fraction is read as a fraction (`.52` is 520 ms; digits beyond milliseconds are dropped) and
 * the offset is honoured; a stamp without an offset is the agent's local time, as in Flume.
 * Returns epoch ms, or NaN for out-of-range values.
 */
export function parseRfc3339(buf: Buffer, start: number, length: number): number {
  const s = start;
  const year = two(buf, s) * 100 + two(buf, s + 2);
  const month = two(buf, s + 5);
  const day = two(buf, s + 8);
  const hour = two(buf, s + 11);
  const minute = two(buf, s + 14);
  const second = two(buf, s + 17);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60)) return NaN;
  // Only the stamp's own bytes are read: what follows it may be the next message.
  const end = s + length;
  let p = s + 19;
  let ms = 0;
  if (p < end && buf[p] === 0x2e) {
    p++;
    let scale = 100;
    while (p < end && isDigit(buf[p])) {
      ms += (buf[p]! - 0x30) * scale;
      scale /= 10;
      p++;
    }
    ms = Math.floor(ms);
  }
  if (p === end) {
    const local = new Date(year, month - 1, day, hour, minute, second, ms);
    return local.getDate() === day ? local.getTime() : NaN;
  }
  let utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (new Date(utc).getUTCDate() !== day) return NaN;
  if (buf[p] !== 0x5a) {
    const sign = buf[p] === 0x2b ? 1 : -1;
    utc -= sign * (two(buf, p + 1) * 60 + two(buf, p + 4)) * 60_000;
  }
  return utc;
}
