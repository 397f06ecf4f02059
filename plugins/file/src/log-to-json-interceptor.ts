import {
  defineComponent, throwConfigProblems, type ComponentContext, type Interceptor, type MetricGroup, type Problem, type SluiceEvent,
} from '@sluice/core';
import { patternProblems } from './compile-pattern.js';
import { logFormat, type LogFormat } from './log-formats.js';

/** Config of the `log_to_json` interceptor (the Kinesis agent's LOGTOJSON). */
export interface LogToJsonConfig {
  logFormat: 'COMMONAPACHELOG' | 'COMBINEDAPACHELOG' | 'APACHEERRORLOG' | 'SYSLOG' | 'RFC3164SYSLOG';
  matchPattern: string;
  customFieldNames: string[];
  onMismatch: 'pass' | 'drop';
}

/**
 * Parses each body as a log line of a known format (Apache common / combined / error log,
 * RFC 3164 syslog) or of `matchPattern`, and replaces it by a JSON object of the captured
 * fields. Lines that do not match are passed through unchanged or dropped (`onMismatch`), and
 * counted as EventUnparsedCount either way.
 */
export class LogToJsonInterceptor implements Interceptor {
  private readonly format: LogFormat;

  constructor(config: LogToJsonConfig, private readonly metrics?: MetricGroup, component = 'log_to_json', private readonly drop = config.onMismatch === 'drop') {
    throwConfigProblems(logToJsonProblems(config), `interceptor '${component}'`);
    const base = logFormat(config.logFormat);
    const pattern = config.matchPattern ? new RegExp(config.matchPattern) : base.pattern;
    const fields = config.customFieldNames.length > 0 ? config.customFieldNames : base.fields;
    this.format = { pattern, fields, dashIsNull: base.dashIsNull };
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const { pattern, fields, dashIsNull } = this.format;
    let unparsed = 0;
    let kept = events;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const match = pattern.exec(event.body.toString('utf8'));
      if (!match) {
        unparsed++;
        if (this.drop) {
          if (kept === events) kept = events.slice(0, i);
        } else if (kept !== events) {
          kept.push(event);
        }
        continue;
      }
      const record: Record<string, string | null> = {};
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
  if (config.matchPattern && config.customFieldNames.length === 0) {
    problems.push({ path: '/customFieldNames', message: 'matchPattern needs customFieldNames, one per capture group; list a JSON key for each group' });
  }
  return problems;
}

export const logToJsonInterceptor = defineComponent<'interceptor', LogToJsonConfig>({
  kind: 'interceptor',
  type: 'log_to_json',
  description: 'Parses Apache common/combined/error and RFC 3164 syslog lines (or a custom pattern) into JSON objects, like the Kinesis agent\'s LOGTOJSON.',
  guarantee: 'Lines that do not match are passed through unchanged (onMismatch pass) or dropped (drop); both are counted as EventUnparsedCount.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      logFormat: { type: 'string', enum: ['COMMONAPACHELOG', 'COMBINEDAPACHELOG', 'APACHEERRORLOG', 'SYSLOG', 'RFC3164SYSLOG'], description: 'The line format; its field names are those of the Kinesis agent.' },
      matchPattern: { type: 'string', default: '', description: 'A regular expression replacing the format\'s own; its capture groups are named by customFieldNames.' },
      customFieldNames: { type: 'array', items: { type: 'string' }, default: [], description: 'JSON keys for the capture groups, in order, replacing the format\'s field names.' },
      onMismatch: { type: 'string', enum: ['pass', 'drop'], default: 'pass', description: 'What to do with a line that does not match.' },
    },
    required: ['logFormat', 'matchPattern', 'customFieldNames', 'onMismatch'],
  },
  check: logToJsonProblems,
  create: (config, ctx: ComponentContext) => new LogToJsonInterceptor(config, ctx.metrics, ctx.name),
});
