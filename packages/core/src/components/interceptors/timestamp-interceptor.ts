import { defineComponent } from '../../define.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import { renameFlumeKeys } from './flume-keys.js';

/** Config of the `timestamp` interceptor (Flume's TimestampInterceptor). */
export interface TimestampInterceptorConfig {
  headerName: string;
  preserveExisting: boolean;
}

/** Sets a header to the time the batch was intercepted, in epoch milliseconds. */
export class TimestampInterceptor implements Interceptor {
  constructor(private readonly config: TimestampInterceptorConfig, private readonly now: () => number = Date.now) {}

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const { headerName, preserveExisting } = this.config;
    // One clock read per batch: events of a batch arrived together.
    const stamp = String(this.now());
    for (const event of events) {
      if (preserveExisting && Object.hasOwn(event.headers, headerName)) continue;
      event.headers[headerName] = stamp;
    }
    return events;
  }
}

export const timestampInterceptor = defineComponent<'interceptor', TimestampInterceptorConfig>({
  kind: 'interceptor',
  type: 'timestamp',
  description: 'Adds the current time (epoch milliseconds) as a header.',
  guarantee: 'Never drops events.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      headerName: { type: 'string', minLength: 1, default: 'timestamp', description: 'Header that receives the time.' },
      preserveExisting: { type: 'boolean', default: false, description: 'Keep the header when the event already has it.' },
    },
    required: ['headerName', 'preserveExisting'],
  },
  fromFlume: (properties) => renameFlumeKeys(properties, {}),
  create: (config) => new TimestampInterceptor(config),
});
