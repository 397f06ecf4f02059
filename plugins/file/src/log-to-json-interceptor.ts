import {
  defineComponent, throwConfigProblems, type ComponentContext, type Interceptor, type MetricGroup, type Problem, type SluiceEvent,
} from '@sluice/core';
import { patternProblems } from './compile-pattern.js';
import { captureGroupCount, logFormat, type LogFormat } from './log-formats.js';

/** Config of the `log_to_json` interceptor (the Kinesis agent's LOGTOJSON). */
export interface LogToJsonConfig {
  logFormat: 'COMMONAPACHELOG' | 'COMBINEDAPACHELOG' | 'APACHEERRORLOG' | 'SYSLOG' | 'RFC3339SYSLOG' | 'RFC3164SYSLOG';
  matchPattern: string;
  customFieldNames: string[];
  onMismatch: 'drop' | 'keep' | 'deadLetter' | 'pass';
  mismatchHeader: string;
}

/** The format names a log_to_json config accepts (RFC3164SYSLOG is an alias of SYSLOG). */
const FORMAT_NAMES = ['COMMONAPACHELOG', 'COMBINEDAPACHELOG', 'APACHEERRORLOG', 'SYSLOG', 'RFC3339SYSLOG', 'RFC3164SYSLOG'];

/**
 * Parses each body as a log line of a known format (Apache common / combined / error log,
 * syslog with a BSD or RFC 3339 stamp) or of `matchPattern`, and replaces it by a JSON object of
 * the captured fields, exactly as the Kinesis agent's LOGTOJSON does: the pattern must match the
 * whole line (a trailing `\n` removed), `-` becomes null in the Apache formats, and the JSON keeps
 * the field order. The JSON has no trailing newline (the agent adds one; Sluice's file sinks end
 * each event themselves). Lines that do not match are dropped, as the agent drops them
 * (`onMismatch: drop`), kept unchanged (`keep`), or kept unchanged with the `mismatchHeader`
 * header set to the format name (`deadLetter`), for a multiplexing selector to route to a
 * dead-letter channel; all are counted as EventUnparsedCount.
 */
export class LogToJsonInterceptor implements Interceptor {
  private readonly format: LogFormat;

  private readonly drop: boolean;
  private readonly tag: string | undefined;

  constructor(private readonly config: LogToJsonConfig, private readonly metrics?: MetricGroup, component = 'log_to_json') {
    throwConfigProblems(logToJsonProblems(config), `interceptor '${component}'`);
    metrics?.inc('EventUnparsedCount', 0);
    this.drop = config.onMismatch === 'drop';
    this.tag = config.onMismatch === 'deadLetter' ? config.mismatchHeader : undefined;
    const base = logFormat(config.logFormat);
    // Java's Matcher.matches(): the custom pattern must match the whole line too.
    const pattern = config.matchPattern ? new RegExp(`^(?:${config.matchPattern})$`) : base.pattern;
    const fields = config.customFieldNames.length > 0 ? config.customFieldNames : base.fields;
    this.format = { pattern, fields, dashIsNull: base.dashIsNull };
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const { pattern, fields, dashIsNull } = this.format;
    let unparsed = 0;
    let kept = events;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const body = event.body;
      const match = pattern.exec(body.toString('utf8', 0, body.length > 0 && body[body.length - 1] === 0x0a ? body.length - 1 : body.length));
      if (!match) {
        unparsed++;
        if (this.tag !== undefined) event.headers[this.tag] = this.config.logFormat;
        if (this.drop) {
          if (kept === events) kept = events.slice(0, i);
        } else if (kept !== events) {
          kept.push(event);
        }
        continue;
      }
      // Null prototype: a field named __proto__ is a key like any other.
      const record = Object.create(null) as Record<string, string | null>;
      for (let f = 0; f < fields.length; f++) {
        const value = match[f + 1];
        record[fields[f]!] = value === undefined || (dashIsNull && value === '-') ? null : value;
      }
      event.body = Buffer.from(JSON.stringify(record), 'utf8');
      if (kept !== events) kept.push(event);
    }
    if (unparsed > 0) this.metrics?.inc('EventUnparsedCount', unparsed);
    return kept;
  }
}

/**
 * What the constructor would refuse in a log_to_json config (the `check` of the definition): a
 * matchPattern that is not a regular expression, or one without customFieldNames to name its
 * groups. Pure.
 */
export function logToJsonProblems(config: LogToJsonConfig): Problem[] {
  const problems = patternProblems({ matchPattern: config.matchPattern });
  const names = config.customFieldNames.length;
  if (config.matchPattern && names === 0) {
    problems.push({ path: '/customFieldNames', message: 'matchPattern needs customFieldNames, one per capture group; list a JSON key for each group' });
  } else if (config.matchPattern && problems.length === 0 && captureGroupCount(config.matchPattern) !== names) {
    // The Kinesis agent accepts this and then drops every record; refuse it instead.
    problems.push({ path: '/customFieldNames', message: `matchPattern has ${captureGroupCount(config.matchPattern)} capture groups but customFieldNames names ${names}; give one name per group (use (?:...) for groups that are not fields)` });
  } else if (!config.matchPattern && names > 0 && FORMAT_NAMES.includes(config.logFormat) && names !== logFormat(config.logFormat).fields.length) {
    problems.push({ path: '/customFieldNames', message: `${config.logFormat} has ${logFormat(config.logFormat).fields.length} fields but customFieldNames names ${names}; rename all of them, or give a matchPattern` });
  }
  return problems;
}

export const logToJsonInterceptor = defineComponent<'interceptor', LogToJsonConfig>({
  kind: 'interceptor',
  type: 'log_to_json',
  description: 'Parses Apache common/combined/error and RFC 3164 syslog lines (or a custom pattern) into JSON objects, like the Kinesis agent\'s LOGTOJSON.',
  guarantee: 'Lines that do not match are dropped as the Kinesis agent drops them (onMismatch drop, the default), kept unchanged (keep), or kept and marked with mismatchHeader (deadLetter) for routing to a dead-letter channel; all are counted as EventUnparsedCount.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      logFormat: { type: 'string', enum: FORMAT_NAMES as LogToJsonConfig['logFormat'][], description: 'The line format, with the Kinesis agent\'s pattern and field names: COMMONAPACHELOG, COMBINEDAPACHELOG, APACHEERRORLOG, SYSLOG (`Mmm d hh:mm:ss host prog[pid]: msg`), RFC3339SYSLOG (the same with an RFC 3339 stamp); RFC3164SYSLOG is another name for SYSLOG.' },
      matchPattern: { type: 'string', default: '', description: 'A regular expression replacing the format\'s own; it must match the whole line, and its capture groups are named by customFieldNames (as many names as groups).' },
      customFieldNames: { type: 'array', items: { type: 'string' }, default: [], description: 'JSON keys for the capture groups, in order, replacing the format\'s field names (as many as the format has fields).' },
      onMismatch: { type: 'string', enum: ['drop', 'keep', 'deadLetter', 'pass'], default: 'drop', description: 'A line that does not match: `drop` it (the Kinesis agent\'s behaviour), `keep` it unchanged (`pass` is an older name for keep), or `deadLetter`: keep it unchanged with header mismatchHeader set to the format name, for a multiplexing selector to route to a dead-letter channel.' },
      mismatchHeader: { type: 'string', minLength: 1, default: 'logToJsonMismatch', description: 'With onMismatch deadLetter: the header set on a line that did not match.' },
    },
    required: ['logFormat', 'matchPattern', 'customFieldNames', 'onMismatch', 'mismatchHeader'],
  },
  check: logToJsonProblems,
  create: (config, ctx: ComponentContext) => new LogToJsonInterceptor(config, ctx.metrics, ctx.name),
});
