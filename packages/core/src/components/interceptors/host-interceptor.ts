import os from 'node:os';
import { defineComponent } from '../../define.js';
import type { SluiceEvent } from '../../event.js';
import type { Interceptor } from '../../interceptor.js';
import { renameFlumeKeys } from './flume-keys.js';

/** Config of the `host` interceptor (Flume's HostInterceptor). */
export interface HostInterceptorConfig {
  hostHeader: string;
  useIP: boolean;
  preserveExisting: boolean;
}

/** Sets a header to this agent's IP address or host name, resolved once at creation. */
export class HostInterceptor implements Interceptor {
  readonly host: string;

  constructor(private readonly config: HostInterceptorConfig) {
    this.host = config.useIP ? localAddress() : os.hostname();
  }

  intercept(events: SluiceEvent[]): SluiceEvent[] {
    const { hostHeader, preserveExisting } = this.config;
    for (const event of events) {
      if (preserveExisting && Object.hasOwn(event.headers, hostHeader)) continue;
      event.headers[hostHeader] = this.host;
    }
    return events;
  }
}

/** The first external IPv4 address, like Java's InetAddress.getLocalHost(), else loopback. */
function localAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}

export const hostInterceptor = defineComponent<'interceptor', HostInterceptorConfig>({
  kind: 'interceptor',
  type: 'host',
  description: 'Adds this agent\'s IP address (or host name) as a header.',
  guarantee: 'Never drops events.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hostHeader: { type: 'string', minLength: 1, default: 'host', description: 'Header that receives the host.' },
      useIP: { type: 'boolean', default: true, description: 'Use the first external IPv4 address; false uses the host name.' },
      preserveExisting: { type: 'boolean', default: false, description: 'Keep the header when the event already has it.' },
    },
    required: ['hostHeader', 'useIP', 'preserveExisting'],
  },
  fromFlume: (properties) => renameFlumeKeys(properties, {}),
  create: (config) => new HostInterceptor(config),
});
