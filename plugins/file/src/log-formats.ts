/** A log line format: a regular expression and the JSON key of each capture group. */
export interface LogFormat {
  pattern: RegExp;
  fields: readonly string[];
  /** Values written as `-` (Apache's "none") become null, as the Kinesis agent's ApacheLogParser does. */
  dashIsNull: boolean;
}

// The Kinesis agent's building blocks (its PatternConstants, awslabs/amazon-kinesis-agent@aa0d908),
// rewritten for JavaScript's regular expressions (same syntax for everything used here).
const INT = '(?:[+-]?(?:[0-9]+))';
const POSINT = '(?:[1-9][0-9]*)';
const NONNEGINT = '(?:[0-9]+)';
const WORD = '\\w+';
const NOQUOTE = '[^"]+';
const IP = '(?:[\\d\\.]+)';
const HOSTNAME = '(?:[\\w\\-]+)(?:\\.(?:[\\w\\-]+))*(?:\\.?|\\b)';
const IPORHOST = `(?:${HOSTNAME}|${IP})`;
const URIHOST = `(?:${IPORHOST}(?::${POSINT})?)`;
const USER = '(?:[a-zA-Z0-9._-]+)';
const MONTHDAY = '(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])';
const DAY = '(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)';
const MONTH = '\\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\b';
const YEAR = '(?:[1-9]\\d*)';
const HOUR = '(?:2[0123]|[01]?[0-9])';
const MINUTE = '(?:[0-5][0-9])';
const SECOND = '(?:(?:[0-5]?[0-9]|60)(?:[:\\.,][0-9]+)?)';
const TIME = `(?:${HOUR}:${MINUTE}:${SECOND})`;
const HTTPDATE = `(?:${MONTHDAY}/${MONTH}/${YEAR}:${TIME}\\s${INT})`;
const APACHEERRORLOGTIMESTAMP = `(?:${DAY}\\s+${MONTH}\\s+${MONTHDAY}\\s+${TIME}\\s+${YEAR})`;
const SYSLOGTIMESTAMP = `(?:${MONTH}\\s+${MONTHDAY}\\s+${TIME})`;
const RFC3339 = '(?:\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)(?:Z|(?:[-+]\\d{2}:\\d{2}))';
const SYSLOGFACILITY = `<${NONNEGINT}.${NONNEGINT}>`;
const SYSLOGPROG = `([\\w\\._/%-]+)(?:\\[(${POSINT})\\])?`;

const COMMON_APACHE_LOG = `^(${IPORHOST}) (${USER}) (${USER}) \\[(${HTTPDATE})\\] "(${NOQUOTE})" (${INT}|\\-) (${INT}|\\-)`;
const COMBINED_APACHE_LOG = `${COMMON_APACHE_LOG} "(${NOQUOTE})" "(${NOQUOTE})"`;
// One extension to the Kinesis agent's pattern: Apache 2.4 writes `[:error]` when the module is
// unknown; the agent's `(?:(\w+):)?(\w+)` cannot read it (the line would be dropped), here the
// module is null and the severity `error`.
const APACHE_ERROR_LOG = `^\\[(${APACHEERRORLOGTIMESTAMP})\\] \\[(?:(${WORD})?:)?(${WORD})\\] \\[pid (${NONNEGINT})(?::tid (${NONNEGINT}))?\\] \\[client (${URIHOST})\\] (.*)`;
const SYSLOG_BASE = `^(${SYSLOGTIMESTAMP}) (?:${SYSLOGFACILITY} )?(${USER}) ${SYSLOGPROG}: (.*)`;
const RFC3339_SYSLOG_BASE = `^(${RFC3339}) (?:${SYSLOGFACILITY} )?(${USER}) ${SYSLOGPROG}: (.*)`;

const SYSLOG_FIELDS = ['timestamp', 'hostname', 'program', 'processid', 'message'];

/**
 * The formats of the Kinesis agent's LOGTOJSON with its patterns, field names and rule that a
 * pattern must match the whole line (Java's `Matcher.matches()`; the Apache access formats end in
 * `.*`, so a combined line matches COMMONAPACHELOG and gives its seven fields).
 */
export const LOG_FORMATS: Readonly<Record<string, LogFormat>> = {
  COMMONAPACHELOG: {
    // `(?![0-9])`: the greedy byte count is the only way the line can match (the `.*` after it
    // cannot match more by starting earlier), so the count is not handed back one digit at a
    // time; without it a line with a long number and a \r after it took quadratic time.
    pattern: new RegExp(`${COMMON_APACHE_LOG}(?![0-9]).*$`),
    fields: ['host', 'ident', 'authuser', 'datetime', 'request', 'response', 'bytes'],
    dashIsNull: true,
  },
  COMBINEDAPACHELOG: {
    pattern: new RegExp(`${COMBINED_APACHE_LOG}.*$`),
    fields: ['host', 'ident', 'authuser', 'datetime', 'request', 'response', 'bytes', 'referer', 'agent'],
    dashIsNull: true,
  },
  APACHEERRORLOG: {
    pattern: new RegExp(`${APACHE_ERROR_LOG}$`),
    fields: ['timestamp', 'module', 'severity', 'processid', 'threadid', 'client', 'message'],
    dashIsNull: true,
  },
  SYSLOG: { pattern: new RegExp(`${SYSLOG_BASE}$`), fields: SYSLOG_FIELDS, dashIsNull: false },
  RFC3339SYSLOG: { pattern: new RegExp(`${RFC3339_SYSLOG_BASE}$`), fields: SYSLOG_FIELDS, dashIsNull: false },
};

/** The format called `name`; RFC3164SYSLOG (accepted by earlier Sluice versions) is SYSLOG. */
export function logFormat(name: string): LogFormat {
  return LOG_FORMATS[name === 'RFC3164SYSLOG' ? 'SYSLOG' : name]!;
}

/** Number of capturing groups in `pattern` (the Kinesis agent drops every record when it differs from the field count). */
export function captureGroupCount(pattern: string): number {
  return new RegExp(`${pattern}|`).exec('')!.length - 1;
}
