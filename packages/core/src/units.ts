import { SluiceError } from './errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/**
 * The longest duration Sluice accepts: 2^31 - 1 ms (about 24.8 days), the longest delay a Node
 * timer can wait. Node fires a longer `setTimeout` after 1 ms instead, so a `rollInterval: 30d`
 * would roll every millisecond; and `1e400s`-style text would otherwise read as Infinity.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** The largest size Sluice accepts: 2^53 - 1 bytes (8 PiB), beyond which byte counts lose precision. */
export const MAX_SIZE_BYTES = Number.MAX_SAFE_INTEGER;

/** Matches `30s`, `500ms`, `1.5h`, `0`. */
export const DURATION_PATTERN = '^(0|[0-9]+(\\.[0-9]+)?(ms|s|m|h|d))$';
/** Matches `64KiB`, `128MiB`, `1GB`, `512B`, `0`. */
export const SIZE_PATTERN = '^(0|[0-9]+(\\.[0-9]+)?([KkMmGgTt]i?[Bb]|[Bb]))$';
/** Matches a duration with a unit, or a bare number in the option's Flume unit (`30`, as Flume users write it). */
export const DURATION_OR_NUMBER_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d)?)$';
/** Matches a size with a unit, or a bare number of bytes (`1048576`, as Flume users write it). */
export const SIZE_OR_NUMBER_PATTERN = '^([0-9]+(\\.[0-9]+)?\\s*([KkMmGgTt]i?[Bb]|[Bb])?)$';

/** The unit of a bare number in a duration option: Flume's unit for that option. */
export type BareDurationUnit = 'ms' | 's';

/** A duration or size option: text with a unit (`30s`, `64MiB`) or a bare number in the option's Flume unit. */
export type Amount = string | number;

/**
 * JSON Schema of a duration option that, like Flume's, also takes a bare number (YAML `30` or
 * `'30'`) meaning `bareUnit` (seconds for roll intervals and keep-alives, milliseconds where
 * Flume counts milliseconds). The component reads it with `parseDuration(value, bareUnit)`.
 * The description says the unit, so the generated docs do.
 */
export function durationOption(description: string, defaultValue: string, bareUnit: BareDurationUnit) {
  const unit = bareUnit === 's' ? 'seconds' : 'milliseconds';
  return {
    type: ['string', 'number'] as ('string' | 'number')[], pattern: DURATION_OR_NUMBER_PATTERN, minimum: 0, default: defaultValue as Amount,
    // Not a JSON Schema keyword: the config validator reads it to bound a bare number (see MAX_DURATION_MS).
    bareUnit,
    description: `${description} A duration like 30s, 500ms, 5m, 1h; a bare number is ${unit}, as in Flume.`,
  };
}

/** JSON Schema of a size option that also takes a bare number of bytes (as Flume's size options). */
export function sizeOption(description: string, defaultValue: string) {
  return {
    type: ['string', 'number'] as ('string' | 'number')[], pattern: SIZE_OR_NUMBER_PATTERN, minimum: 0, default: defaultValue as Amount,
    description: `${description} A size like 512B, 64KiB, 128MiB, 1GB; a bare number is bytes, as in Flume.`,
  };
}

/**
 * Parses a human duration (`30s`, `5m`, `250ms`, `0`) into milliseconds. A bare number (a YAML
 * number, or text of digits) is read in `bareUnit` when given (an option that takes Flume's
 * numbers), and refused otherwise, except 0; a JS number without `bareUnit` is milliseconds.
 * Throws SLUICE_CONFIG_INVALID, also for a duration above {@link MAX_DURATION_MS} (never Infinity or NaN).
 */
export function parseDuration(text: Amount, bareUnit?: BareDurationUnit): number {
  if (typeof text === 'number') return withinDuration(Math.round(text * (bareUnit === 's' ? 1000 : 1)), text);
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (bareUnit !== undefined && /^[0-9]+(\.[0-9]+)?$/.test(trimmed)) return withinDuration(Math.round(Number(trimmed) * DURATION_UNITS[bareUnit]!), text);
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(trimmed);
  if (!match) throw new SluiceError('SLUICE_CONFIG_INVALID', `'${clip(text)}' is not a duration; write it like 30s, 500ms, 5m or 1h`);
  return withinDuration(Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!), text);
}

/** A duration's milliseconds, or SLUICE_CONFIG_INVALID when it is negative, not finite or above {@link MAX_DURATION_MS}. */
function withinDuration(ms: number, written: Amount): number {
  if (Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS) return ms;
  throw new SluiceError('SLUICE_CONFIG_INVALID', `'${clip(written)}' is ${ms < 0 ? 'a negative duration' : 'too long a duration'}: durations go from 0 to ${MAX_DURATION_MS} ms (about 24 days, the longest a timer can wait); write it like 30s, 5m or 1h`);
}

/** A size's bytes, or SLUICE_CONFIG_INVALID when it is negative, not finite or above {@link MAX_SIZE_BYTES}. */
function withinSize(bytes: number, written: Amount): number {
  if (Number.isFinite(bytes) && bytes >= 0 && bytes <= MAX_SIZE_BYTES) return bytes;
  throw new SluiceError('SLUICE_CONFIG_INVALID', `'${clip(written)}' is ${bytes < 0 ? 'a negative size' : 'too large a size'}: sizes go from 0 to ${MAX_SIZE_BYTES} bytes (8 PiB); write it like 64KiB, 128MiB or 1GB`);
}

/** The text of a value as quoted in an error: long garbage is cut. */
function clip(written: Amount): string {
  const text = String(written);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * Parses a human size (`64KiB`, `128MiB`, `1GB`, `0`) or a bare number of bytes into bytes. Throws
 * SLUICE_CONFIG_INVALID, also for a size above {@link MAX_SIZE_BYTES} (never Infinity or NaN).
 */
export function parseSize(text: Amount): number {
  if (typeof text === 'number') return withinSize(text, text);
  const trimmed = text.trim();
  if (/^[0-9]+$/.test(trimmed)) return withinSize(Number(trimmed), text);
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*([KkMmGgTt]i?[Bb]|[Bb])$/.exec(trimmed);
  if (!match) throw new SluiceError('SLUICE_CONFIG_INVALID', `'${clip(text)}' is not a size; write it like 512B, 64KiB, 128MiB or 1GB (a bare number is bytes)`);
  return withinSize(Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!), text);
}
