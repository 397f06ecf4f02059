import { defineComponent } from '../../define.js';
import type { ComponentContext } from '../../context.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import type { MetricGroup } from '../../metrics.js';
import { throwConfigProblems, type Problem } from '../../problem.js';
import { regexError } from './regex-error.js';
import { renameFlumeKeys } from './flume-keys.js';

/** Config of the `regex_filter` interceptor (Flume's RegexFilteringInterceptor). */
export interface RegexFilterInterceptorConfig {
  regex: string;
  excludeEvents: boolean;
}

/**
 * Keeps the events whose UTF-8 body contains a match of `regex` (or, with `excludeEvents`, drops
 * them). Dropped events are counted as `EventDroppedCount` on the interceptor.
 */
export class RegexFilterInterceptor implements Interceptor {
  private readonly regex: RegExp;

  constructor(private readonly config: RegexFilterInterceptorConfig, private readonly metrics?: MetricGroup, component = 'regex_filter') {
    throwConfigProblems(regexFilterProblems(config), `interceptor '${component}'`);
    this.regex = new RegExp(config.regex);
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const keepMatching = !this.config.excludeEvents;
    // The kept list is only built from the first dropped event on: a batch that passes whole is returned as is.
    let kept: SluiceEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const keep = this.regex.test(event.body.toString('utf8')) === keepMatching;
      if (kept) {
        if (keep) kept.push(event);
      } else if (!keep) {
        kept = events.slice(0, i);
      }
    }
    if (!kept) return events;
    this.metrics?.inc('EventDroppedCount', events.length - kept.length);
    return kept;
  }
}

/** What the constructor would refuse in a regex_filter config (the `check` of the definition). Pure. */
export function regexFilterProblems(config: RegexFilterInterceptorConfig): Problem[] {
  const message = regexError(config.regex, '', 'regex');
  return message === undefined ? [] : [{ path: '/regex', message }];
}

export const regexFilterInterceptor = defineComponent<'interceptor', RegexFilterInterceptorConfig>({
  kind: 'interceptor',
  type: 'regex_filter',
  description: 'Keeps (or, with excludeEvents, drops) events whose body matches a regular expression.',
  guarantee: 'Drops the events the filter rejects, on purpose; they are counted as EventDroppedCount.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      regex: { type: 'string', default: '.*', description: 'Regular expression searched for in the UTF-8 body (JavaScript syntax).' },
      excludeEvents: { type: 'boolean', default: false, description: 'Drop matching events instead of keeping only them.' },
    },
    required: ['regex', 'excludeEvents'],
  },
  check: regexFilterProblems,
  fromFlume: (properties) => renameFlumeKeys(properties, {}),
  create: (config, ctx: ComponentContext) => new RegexFilterInterceptor(config, ctx.metrics, ctx.name),
});
