import { defineComponent } from '../../define.js';
import type { ComponentContext } from '../../context.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import { throwConfigProblems, type Problem } from '../../problem.js';
import { regexError } from './regex-error.js';
import { renameFlumeKeys } from './flume-keys.js';

/** Config of the `remove_header` interceptor (Flume's RemoveHeaderInterceptor). */
export interface RemoveHeaderInterceptorConfig {
  withName: string;
  fromList: string;
  fromListSeparator: string;
  matching: string;
}

/** Removes headers by exact name, by a separated list of names, and/or by a name pattern. */
export class RemoveHeaderInterceptor implements Interceptor {
  private readonly names: Set<string>;
  private readonly matching: RegExp | undefined;

  constructor(config: RemoveHeaderInterceptorConfig, component = 'remove_header') {
    throwConfigProblems(removeHeaderProblems(config), `interceptor '${component}'`);
    this.names = new Set<string>();
    if (config.withName !== '') this.names.add(config.withName);
    if (config.fromList !== '') {
      for (const name of config.fromList.split(new RegExp(config.fromListSeparator))) if (name !== '') this.names.add(name);
    }
    this.matching = config.matching === '' ? undefined : new RegExp(wholeName(config.matching));
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    for (const event of events) {
      const headers = event.headers;
      for (const name of this.names) delete headers[name];
      if (this.matching) for (const name of Object.keys(headers)) if (this.matching.test(name)) delete headers[name];
    }
    return events;
  }
}

/** Flume uses Matcher.matches(): the whole header name must match. */
const wholeName = (pattern: string): string => `^(?:${pattern})$`;

/** What the constructor would refuse in a remove_header config (the `check` of the definition). Pure. */
export function removeHeaderProblems(config: RemoveHeaderInterceptorConfig): Problem[] {
  const problems: Problem[] = [];
  const separator = config.fromList === '' ? undefined : regexError(config.fromListSeparator, '', 'fromListSeparator');
  if (separator !== undefined) problems.push({ path: '/fromListSeparator', message: separator });
  const matching = config.matching === '' ? undefined : regexError(wholeName(config.matching), '', 'matching');
  if (matching !== undefined) problems.push({ path: '/matching', message: matching });
  return problems;
}

export const removeHeaderInterceptor = defineComponent<'interceptor', RemoveHeaderInterceptorConfig>({
  kind: 'interceptor',
  type: 'remove_header',
  description: 'Removes headers by name, by a list of names, or by a regular expression on the name.',
  guarantee: 'Never drops events.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      withName: { type: 'string', default: '', description: 'Exact name of a header to remove (empty: none).' },
      fromList: { type: 'string', default: '', description: 'Names of headers to remove, separated by fromListSeparator (empty: none).' },
      fromListSeparator: { type: 'string', minLength: 1, default: '\\s*,\\s*', description: 'Regular expression separating the names in fromList.' },
      matching: { type: 'string', default: '', description: 'Remove every header whose whole name matches this regular expression (empty: none).' },
    },
    required: ['withName', 'fromList', 'fromListSeparator', 'matching'],
  },
  check: removeHeaderProblems,
  fromFlume: (properties) => renameFlumeKeys(properties, {}),
  create: (config, ctx: ComponentContext) => new RemoveHeaderInterceptor(config, ctx.name),
});
