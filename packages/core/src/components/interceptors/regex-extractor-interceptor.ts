import { defineComponent } from '../../define.js';
import type { ComponentContext } from '../../context.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import { compileRegex } from './compile-regex.js';
import { splitFlumeList } from './flume-keys.js';

/** Config of the `regex_extractor` interceptor (Flume's RegexExtractorInterceptor). */
export interface RegexExtractorInterceptorConfig {
  regex: string;
  /** One entry per capture group, in order: group 1 goes to serializers[0].name. */
  serializers: { name: string }[];
}

/**
 * Searches the UTF-8 body for `regex` and copies capture group i into header `serializers[i-1].name`.
 * Events without a match pass through unchanged; groups that did not participate are skipped.
 */
export class RegexExtractorInterceptor implements Interceptor {
  private readonly regex: RegExp;
  private readonly names: string[];

  constructor(config: RegexExtractorInterceptorConfig, component = 'regex_extractor') {
    this.regex = compileRegex(config.regex, '', component, 'regex');
    this.names = config.serializers.map((s) => s.name);
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const names = this.names;
    for (const event of events) {
      const match = this.regex.exec(event.body.toString('utf8'));
      if (!match) continue;
      const groups = Math.min(match.length - 1, names.length);
      for (let i = 0; i < groups; i++) {
        const value = match[i + 1];
        if (value !== undefined) event.headers[names[i]!] = value;
      }
    }
    return events;
  }
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
        default: [],
        description: 'Header names for capture groups 1, 2, ... in order (Flume\'s serializers.<s>.name).',
        items: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, description: 'Header that receives the group.' } },
          required: ['name'],
        },
      },
    },
    required: ['regex', 'serializers'],
  },
  /**
   * Flume: `serializers = s1 s2`, `serializers.s1.name = one`. Only the default (pass-through)
   * serializer exists here; a `serializers.s1.type` is kept so the schema reports it.
   */
  fromFlume(properties) {
    const out: Record<string, unknown> = {};
    const ids = splitFlumeList(properties.serializers ?? '');
    const serializers = ids.map((id) => {
      const entry: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(properties)) {
        if (key.startsWith(`serializers.${id}.`)) entry[key.slice(`serializers.${id}.`.length)] = value;
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
