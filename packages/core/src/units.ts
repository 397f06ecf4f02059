import { SluiceError } from './errors.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** Matches `30s`, `500ms`, `1.5h`, `0`. */
export const DURATION_PATTERN = '^(0|[0-9]+(\\.[0-9]+)?(ms|s|m|h|d))$';
/** Matches `64KiB`, `128MiB`, `1GB`, `512B`, `0`. */
export const SIZE_PATTERN = '^(0|[0-9]+(\\.[0-9]+)?([KkMmGgTt]i?[Bb]|[Bb]))$';

/** Parses a human duration (`30s`, `5m`, `250ms`, `0`) into milliseconds. Throws SLUICE_CONFIG_INVALID. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return text;
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (text.trim() === '0') return 0;
  if (!match) throw new SluiceError('SLUICE_CONFIG_INVALID', `'${text}' is not a duration; write it like 30s, 500ms, 5m or 1h`);
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

/** Parses a human size (`64KiB`, `128MiB`, `1GB`, `0`) into bytes. Throws SLUICE_CONFIG_INVALID. */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') return text;
  if (text.trim() === '0') return 0;
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*([KkMmGgTt]i?[Bb]|[Bb])$/.exec(text.trim());
  if (!match) throw new SluiceError('SLUICE_CONFIG_INVALID', `'${text}' is not a size; write it like 512B, 64KiB, 128MiB or 1GB`);
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
}
