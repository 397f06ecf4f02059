import { defineComponent } from '../../define.js';
import type { ComponentContext } from '../../context.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import { throwConfigProblems, type Problem } from '../../problem.js';
import { regexError } from './regex-error.js';
import { splitFlumeList } from './flume-keys.js';
import { MillisPattern, millisPatternError } from './millis-pattern.js';

/** Config of the `regex_extractor` interceptor (Flume's RegexExtractorInterceptor). */
export interface RegexExtractorInterceptorConfig {
  regex: string;
  /** One entry per capture group, in order: group 1 goes to serializers[0].name. */
  serializers: RegexExtractorSerializer[];
}

/** How one capture group becomes a header: as is (`default`) or as epoch millis (`millis`). */
export interface RegexExtractorSerializer {
  name: string;
  type?: 'default' | 'millis';
  /** For `millis`: the date pattern of the group, e.g. `yyyy-MM-dd HH:mm`. */
  pattern?: string;
}

/** Flume's serializer class names for `serializers.<s>.type`. */
const FLUME_SERIALIZERS: Record<string, 'default' | 'millis'> = {
  'org.apache.flume.interceptor.regexextractorinterceptormillisserializer': 'millis',
  'org.apache.flume.interceptor.regexextractorinterceptorpassthroughserializer': 'default',
};

/**
 * Searches the UTF-8 body for `regex` and copies capture group i into header `serializers[i-1].name`.
 * Events without a match pass through unchanged; groups that did not participate are skipped, and
 * so are `millis` groups whose text does not fit the pattern.
 */
export class RegexExtractorInterceptor implements Interceptor {
  private readonly regex: RegExp;
  private readonly names: string[];
  private readonly dates: (MillisPattern | undefined)[];

  constructor(config: RegexExtractorInterceptorConfig, component = 'regex_extractor') {
    throwConfigProblems(regexExtractorProblems(config), `interceptor '${component}'`);
    this.regex = new RegExp(config.regex);
    this.names = config.serializers.map((s) => s.name);
    this.dates = config.serializers.map((s) => (s.type === 'millis' ? new MillisPattern(s.pattern!) : undefined));
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const names = this.names;
    for (const event of events) {
      const match = this.regex.exec(event.body.toString('utf8'));
      if (!match) continue;
      const groups = Math.min(match.length - 1, names.length);
      for (let i = 0; i < groups; i++) {
        const value = match[i + 1];
        if (value === undefined) continue;
        const date = this.dates[i];
        if (!date) {
          event.headers[names[i]!] = value;
          continue;
        }
        const millis = date.parse(value);
        if (millis !== undefined) event.headers[names[i]!] = String(millis);
      }
    }
    return events;
  }
}

/**
 * What the constructor would refuse in a regex_extractor config (the `check` of the definition):
 * the regex, and each millis serializer's date pattern (missing, or not one MillisPattern parses). Pure.
 */
export function regexExtractorProblems(config: RegexExtractorInterceptorConfig): Problem[] {
  const problems: Problem[] = [];
  const regex = regexError(config.regex, '', 'regex');
  if (regex !== undefined) problems.push({ path: '/regex', message: regex });
  // As Flume's builder: an extractor that names no capture group would do nothing.
  if (config.serializers.length === 0) problems.push({ path: '/serializers', message: 'names no capture group; add serializers: [{ name: header1 }, ...] (Flume: serializers = s1 s2, serializers.s1.name = header1)' });
  config.serializers.forEach((s, i) => {
    if (s.type !== 'millis') return;
    const message = s.pattern ? millisPatternError(s.pattern) : `serializers[${i}] has type millis but no pattern; add pattern: 'yyyy-MM-dd HH:mm'`;
    if (message !== undefined) problems.push({ path: `/serializers/${i}/pattern`, message: s.pattern ? `serializers[${i}]: ${message}` : message });
  });
  return problems;
}

export const regexExtractorInterceptor = defineComponent<'interceptor', RegexExtractorInterceptorConfig>({
  kind: 'interceptor',
  type: 'regex_extractor',
  description: 'Copies the capture groups of a regular expression matched on the body into headers.',
  guarantee: 'Never drops events.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      regex: { type: 'string', minLength: 1, description: 'Regular expression searched for in the UTF-8 body (JavaScript syntax). Required.' },
      serializers: {
        type: 'array',
        minItems: 1,
        description: 'Header names for capture groups 1, 2, ... in order (Flume\'s serializers.<s>.name); at least one.',
        items: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, description: 'Header that receives the group.' },
            type: { type: 'string', enum: ['default', 'millis'], nullable: true, description: 'default copies the text; millis parses it with pattern into epoch milliseconds (local time zone).' },
            pattern: { type: 'string', nullable: true, description: 'For millis: the date pattern (yyyy yy MM dd HH mm ss SSS, quoted literals).' },
          },
          required: ['name'],
        },
      },
    },
    required: ['regex', 'serializers'],
  },
  check: regexExtractorProblems,
  /**
   * Flume: `serializers = s1 s2`, `serializers.s1.name = one`, `serializers.s2.type =
   * org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer`, `serializers.s2.pattern`.
   * Other serializer classes are kept as written so the schema reports them.
   */
  fromFlume(properties) {
    const out: Record<string, unknown> = {};
    const ids = splitFlumeList(properties.serializers ?? '');
    const serializers = ids.map((id) => {
      const entry: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(properties)) {
        if (!key.startsWith(`serializers.${id}.`)) continue;
        const field = key.slice(`serializers.${id}.`.length);
        entry[field] = field === 'type' ? FLUME_SERIALIZERS[value.trim().toLowerCase()] ?? value : value;
      }
      return entry;
    });
    for (const [key, value] of Object.entries(properties)) {
      if (key !== 'serializers' && !ids.some((id) => key.startsWith(`serializers.${id}.`))) out[key] = value;
    }
    out.serializers = serializers;
    return out;
  },
  create: (config, ctx: ComponentContext) => new RegexExtractorInterceptor(config, ctx.name),
});
