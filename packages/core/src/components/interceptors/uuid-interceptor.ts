import { randomUUID } from 'node:crypto';
import { defineComponent } from '../../define.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import { renameFlumeKeys } from './flume-keys.js';

/** Config of the `uuid` interceptor (Flume's morphline UUIDInterceptor). */
export interface UuidInterceptorConfig {
  headerName: string;
  preserveExisting: boolean;
  prefix: string;
}

/** Gives every event a random UUID header, so downstream stores can drop duplicates. */
export class UuidInterceptor implements Interceptor {
  constructor(private readonly config: UuidInterceptorConfig) {}

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const { headerName, preserveExisting, prefix } = this.config;
    for (const event of events) {
      if (preserveExisting && Object.hasOwn(event.headers, headerName)) continue;
      event.headers[headerName] = prefix + randomUUID();
    }
    return events;
  }
}

export const uuidInterceptor = defineComponent<'interceptor', UuidInterceptorConfig>({
  kind: 'interceptor',
  type: 'uuid',
  description: 'Adds a random UUID header to every event (for de-duplication downstream).',
  guarantee: 'Never drops events.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      headerName: { type: 'string', minLength: 1, default: 'id', description: 'Header that receives the UUID.' },
      preserveExisting: { type: 'boolean', default: true, description: 'Keep the header when the event already has it.' },
      prefix: { type: 'string', default: '', description: 'Text put before every UUID.' },
    },
    required: ['headerName', 'preserveExisting', 'prefix'],
  },
  fromFlume: (properties) => renameFlumeKeys(properties, {}),
  create: (config) => new UuidInterceptor(config),
});
