const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_BY_KEY = new Map(MONTHS.map((name, i) => [name.charCodeAt(0) * 65536 + name.charCodeAt(1) * 256 + name.charCodeAt(2), i]));
/** An RFC 3164 timestamp is exactly this long: `Nov  6 07:05:09`. */
export const BSD_TIMESTAMP_LENGTH = 15;
const DAY_MS = 86_400_000;

function digit(buf: Buffer, i: number): number {
  const d = buf[i]! - 0x30;
  return d >= 0 && d <= 9 ? d : NaN;
}

function two(buf: Buffer, i: number): number {
  return digit(buf, i) * 10 + digit(buf, i + 1);
}

/**
 * Parses an RFC 3164 timestamp (`Mmm dd hh:mm:ss`, local time, no year) at `start`. The year
 * is the current one, or the previous one when that would put the time more than a day in the
 * future (a December message read in January). Returns epoch ms, or NaN when malformed.
 */
export function parseBsdTimestamp(buf: Buffer, start: number, now = Date.now()): number {
  if (buf.length < start + BSD_TIMESTAMP_LENGTH) return NaN;
  const month = MONTH_BY_KEY.get(buf[start]! * 65536 + buf[start + 1]! * 256 + buf[start + 2]!);
  if (month === undefined || buf[start + 3] !== 0x20 || buf[start + 6] !== 0x20 || buf[start + 9] !== 0x3a || buf[start + 12] !== 0x3a) return NaN;
  const day = buf[start + 4] === 0x20 ? digit(buf, start + 5) : two(buf, start + 4);
  const hour = two(buf, start + 7);
  const minute = two(buf, start + 10);
  const second = two(buf, start + 13);
  if (!(day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60)) return NaN;
  const year = new Date(now).getFullYear();
  let ms = new Date(year, month, day, hour, minute, second).getTime();
  if (ms - now > DAY_MS) ms = new Date(year - 1, month, day, hour, minute, second).getTime();
  return ms;
}

/**
 * Parses an RFC 3339 timestamp (`2026-11-26T07:05:09.123456+01:00`, as RFC 5424 requires) from
 * `start` to `end`. Fractions beyond milliseconds are dropped. Returns epoch ms, or NaN.
 */
export function parseRfc3339(buf: Buffer, start: number, end: number): number {
  if (end - start < 20 || buf[start + 4] !== 0x2d || buf[start + 7] !== 0x2d || (buf[start + 10] | 0x20) !== 0x74) return NaN;
  const text = buf.toString('latin1', start, end);
  return Date.parse(text);
}
