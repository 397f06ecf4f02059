import { SluiceError } from '../../errors.js';

type Field = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'millis';

const FIELDS: Record<string, { group: string; field: Field }> = {
  yyyy: { group: '(\\d{4})', field: 'year' },
  yy: { group: '(\\d{2})', field: 'year' },
  MM: { group: '(\\d{1,2})', field: 'month' },
  dd: { group: '(\\d{1,2})', field: 'day' },
  HH: { group: '(\\d{1,2})', field: 'hour' },
  mm: { group: '(\\d{1,2})', field: 'minute' },
  ss: { group: '(\\d{1,2})', field: 'second' },
  SSS: { group: '(\\d{1,3})', field: 'millis' },
};

/**
 * Parses text with a Joda/Java date pattern (the subset `yyyy yy MM dd HH mm ss SSS`, other
 * letters and quoted text literal) into epoch milliseconds in the agent's local time zone, as
 * Flume's RegexExtractorInterceptorMillisSerializer does. Built once per serializer; `parse`
 * returns undefined for text that does not fit.
 */
export class MillisPattern {
  private readonly regex: RegExp;
  private readonly fields: Field[];

  constructor(readonly pattern: string) {
    const compiled = compileMillisPattern(pattern);
    if ('error' in compiled) throw new SluiceError('SLUICE_CONFIG_INVALID', compiled.error);
    this.regex = compiled.regex;
    this.fields = compiled.fields;
  }

  parse(text: string): number | undefined {
    const match = this.regex.exec(text);
    if (!match) return undefined;
    const v = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, millis: 0 };
    this.fields.forEach((field, i) => {
      const n = Number(match[i + 1]);
      v[field] = field === 'year' && match[i + 1]!.length === 2 ? 2000 + n : n;
    });
    const time = new Date(v.year, v.month - 1, v.day, v.hour, v.minute, v.second, v.millis).getTime();
    return Number.isNaN(time) ? undefined : time;
  }
}

/**
 * Why `pattern` is not a date pattern {@link MillisPattern} supports, or undefined: the text its
 * constructor throws (SLUICE_CONFIG_INVALID), from the same parser. Pure, for components' `check`.
 */
export function millisPatternError(pattern: string): string | undefined {
  const compiled = compileMillisPattern(pattern);
  return 'error' in compiled ? compiled.error : undefined;
}

function compileMillisPattern(pattern: string): { regex: RegExp; fields: Field[] } | { error: string } {
  const fields: Field[] = [];
  let source = '^';
  for (let i = 0; i < pattern.length;) {
    const token = ['yyyy', 'SSS', 'yy', 'MM', 'dd', 'HH', 'mm', 'ss'].find((t) => pattern.startsWith(t, i));
    if (token) {
      source += FIELDS[token]!.group;
      fields.push(FIELDS[token]!.field);
      i += token.length;
    } else if (pattern[i] === '\'') {
      const end = pattern.indexOf('\'', i + 1);
      if (end < 0) return { error: `date pattern '${pattern}' has an unclosed quote; close it with '` };
      source += escape(pattern.slice(i + 1, end));
      i = end + 1;
    } else if (/[A-Za-z]/.test(pattern[i]!)) {
      return { error: `date pattern '${pattern}' uses '${pattern[i]}', which is not supported; use yyyy, yy, MM, dd, HH, mm, ss, SSS and quoted literals` };
    } else {
      source += escape(pattern[i]!);
      i++;
    }
  }
  return { regex: new RegExp(`${source}$`), fields };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
