import type { Channel } from '../channel.js';
import type { SelectorContext } from '../context.js';
import { defineComponent } from '../define.js';
import type { SluiceEvent } from '../event.js';
import type { ChannelBatch, ChannelSelector, Routing } from '../selector.js';

/** Config of the `load_balancing` selector (Flume's LoadBalancingChannelSelector). */
export interface LoadBalancingSelectorConfig {
  policy: 'round_robin' | 'random';
}

/**
 * Sends each event to exactly one of the source's channels, taking turns (`round_robin`, which
 * continues across batches) or at random. Every channel that gets part of a batch is required.
 */
export class LoadBalancingSelector implements ChannelSelector {
  private readonly targets: { name: string; channel: Channel }[];
  private next = 0;

  constructor(private readonly config: LoadBalancingSelectorConfig, channels: ReadonlyMap<string, Channel>, private readonly random: () => number = Math.random) {
    this.targets = [...channels].map(([name, channel]) => ({ name, channel }));
  }

  route(events: SluiceEvent[]): Routing {
    const n = this.targets.length;
    const parts: (SluiceEvent[] | undefined)[] = new Array(n);
    const roundRobin = this.config.policy === 'round_robin';
    for (const event of events) {
      let i: number;
      if (roundRobin) {
        i = this.next;
        this.next = (this.next + 1) % n;
      } else {
        i = Math.floor(this.random() * n);
      }
      (parts[i] ??= []).push(event);
    }
    const required: ChannelBatch[] = [];
    parts.forEach((part, i) => {
      if (part) required.push({ name: this.targets[i]!.name, channel: this.targets[i]!.channel, events: part });
    });
    return { required, optional: [] };
  }
}

export const loadBalancingSelector = defineComponent<'selector', LoadBalancingSelectorConfig>({
  kind: 'selector',
  type: 'load_balancing',
  description: 'Sends each event to one of the source\'s channels, in turn or at random.',
  guarantee: 'A batch is accepted only when every channel that got part of it committed its part.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      policy: { type: 'string', enum: ['round_robin', 'random'], default: 'round_robin', description: 'How the channel of each event is chosen.' },
    },
    required: ['policy'],
  },
  /** Flume: `selector.policy = round_robin|random`. */
  fromFlume(properties) {
    const out: Record<string, unknown> = { ...properties };
    if (typeof properties.policy === 'string') out.policy = properties.policy.trim().toLowerCase();
    return out;
  },
  create: (config, ctx: SelectorContext) => new LoadBalancingSelector(config, ctx.channels),
});
