import { defineComponent } from '../../define.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import { renameFlumeKeys } from './flume-keys.js';

/** Config of the `static` interceptor (Flume's StaticInterceptor). */
export interface StaticInterceptorConfig {
  key: string;
  value: string;
  preserveExisting: boolean;
}

/** Sets one fixed header on every event. */
export class StaticInterceptor implements Interceptor {
  constructor(private readonly config: StaticInterceptorConfig) {}

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const { key, value, preserveExisting } = this.config;
    for (const event of events) {
      if (preserveExisting && Object.hasOwn(event.headers, key)) continue;
      event.headers[key] = value;
    }
    return events;
  }
}

export const staticInterceptor = defineComponent<'interceptor', StaticInterceptorConfig>({
  kind: 'interceptor',
  type: 'static',
  description: 'Adds a fixed header to every event.',
  guarantee: 'Never drops events.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      key: { type: 'string', minLength: 1, default: 'key', description: 'Header name.' },
      value: { type: 'string', default: 'value', description: 'Header value.' },
      preserveExisting: { type: 'boolean', default: true, description: 'Keep the header when the event already has it.' },
    },
    required: ['key', 'value', 'preserveExisting'],
  },
  fromFlume: (properties) => renameFlumeKeys(properties, {}),
  create: (config) => new StaticInterceptor(config),
});
