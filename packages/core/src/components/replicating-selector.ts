import type { Channel } from '../channel.js';
import { defineComponent } from '../define.js';
import type { SluiceEvent } from '../event.js';
import type { ChannelBatch, ChannelSelector, Routing } from '../selector.js';

/** Config of the `replicating` selector. */
export interface ReplicatingSelectorConfig {
  optional: string[];
}

/** Sends every event to every channel of the source; `optional` channels are best-effort. */
export class ReplicatingSelector implements ChannelSelector {
  private readonly required: { name: string; channel: Channel }[] = [];
  private readonly optional: { name: string; channel: Channel }[] = [];

  constructor(config: ReplicatingSelectorConfig, channels: ReadonlyMap<string, Channel>) {
    for (const [name, channel] of channels) {
      (config.optional.includes(name) ? this.optional : this.required).push({ name, channel });
    }
  }

  route(events: SluiceEvent[]): Routing {
    return { required: this.required.map((t) => batchFor(t, events)), optional: this.optional.map((t) => batchFor(t, events)) };
  }
}

function batchFor(target: { name: string; channel: Channel }, events: SluiceEvent[]): ChannelBatch {
  return { name: target.name, channel: target.channel, events };
}

export const replicatingSelector = defineComponent<'selector', ReplicatingSelectorConfig>({
  kind: 'selector',
  type: 'replicating',
  description: 'Sends every event to all of the source\'s channels (the default selector).',
  guarantee: 'A batch is accepted only when every required channel committed it; optional channels are best-effort.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      optional: { type: 'array', items: { type: 'string' }, default: [], description: 'Channels whose failures are ignored (best-effort).' },
    },
    required: ['optional'],
  },
  fromFlume(properties) {
    return properties.optional === undefined ? {} : { optional: properties.optional.trim().split(/\s+/) };
  },
  create: (config, ctx) => new ReplicatingSelector(config, ctx.channels),
});
