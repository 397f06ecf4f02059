import type { Channel } from '../channel.js';
import type { SelectorContext } from '../context.js';
import { defineComponent } from '../define.js';
import type { SluiceEvent } from '../event.js';
import type { MetricGroup } from '../metrics.js';
import type { ChannelBatch, ChannelSelector, Routing } from '../selector.js';
import { splitFlumeList } from './interceptors/flume-keys.js';

/** Config of the `multiplexing` selector (Flume's MultiplexingChannelSelector). */
export interface MultiplexingSelectorConfig {
  header: string;
  mapping: Record<string, string[]>;
  default: string[];
  optional: Record<string, string[]>;
}

/** Where events with one header value go. */
interface Route {
  required: number[];
  optional: number[];
}

/**
 * Routes each event by the value of one header: `mapping[value]` are its required channels
 * (`default` when the value is missing or unmapped), `optional[value]` its best-effort ones. A
 * channel both required and optional for a value counts as required, as in Flume. Events with no
 * channel at all are dropped and counted as `EventUnroutedCount`.
 */
export class MultiplexingSelector implements ChannelSelector {
  private readonly targets: { name: string; channel: Channel }[] = [];
  private readonly routes = new Map<string, Route>();
  private readonly fallback: Route;

  constructor(private readonly config: MultiplexingSelectorConfig, channels: ReadonlyMap<string, Channel>, private readonly metrics?: MetricGroup) {
    const index = new Map<string, number>();
    for (const [name, channel] of channels) {
      index.set(name, this.targets.length);
      this.targets.push({ name, channel });
    }
    const indices = (names: readonly string[]): number[] => [...new Set(names)].map((n) => {
      const i = index.get(n);
      if (i === undefined) throw new TypeError(`multiplexing selector names channel '${n}', which is not one of the source's channels`);
      return i;
    });
    const defaults = indices(config.default);
    for (const value of new Set([...Object.keys(config.mapping), ...Object.keys(config.optional)])) {
      const required = config.mapping[value] ? indices(config.mapping[value]) : defaults;
      const optional = indices(config.optional[value] ?? []).filter((i) => !required.includes(i));
      this.routes.set(value, { required, optional });
    }
    this.fallback = { required: defaults, optional: [] };
  }

  route(events: SluiceEvent[]): Routing {
    const header = this.config.header;
    const required: (SluiceEvent[] | undefined)[] = new Array(this.targets.length);
    const optional: (SluiceEvent[] | undefined)[] = new Array(this.targets.length);
    let unrouted = 0;
    for (const event of events) {
      // Own headers only: a source's plain-object headers would otherwise 'have' constructor.
      const value = Object.hasOwn(event.headers, header) ? event.headers[header] : undefined;
      const route = (value === undefined ? undefined : this.routes.get(value)) ?? this.fallback;
      if (route.required.length === 0 && route.optional.length === 0) unrouted++;
      for (const i of route.required) (required[i] ??= []).push(event);
      for (const i of route.optional) (optional[i] ??= []).push(event);
    }
    if (unrouted > 0) this.metrics?.inc('EventUnroutedCount', unrouted);
    return { required: this.batches(required), optional: this.batches(optional) };
  }

  private batches(byTarget: (SluiceEvent[] | undefined)[]): ChannelBatch[] {
    const out: ChannelBatch[] = [];
    byTarget.forEach((events, i) => {
      if (events) out.push({ name: this.targets[i]!.name, channel: this.targets[i]!.channel, events });
    });
    return out;
  }
}

const CHANNEL_LIST = { type: 'array', items: { type: 'string' } } as const;

export const multiplexingSelector = defineComponent<'selector', MultiplexingSelectorConfig>({
  kind: 'selector',
  type: 'multiplexing',
  description: 'Routes each event to channels chosen by the value of one header.',
  guarantee: 'A batch is accepted only when every channel required for its events committed them; optional channels are best-effort; events mapped to no channel are dropped and counted (EventUnroutedCount).',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      header: { type: 'string', minLength: 1, default: 'flume.selector.header', description: 'Header whose value picks the channels.' },
      mapping: { type: 'object', required: [], additionalProperties: CHANNEL_LIST, default: {}, description: 'Header value -> list of required channels.' },
      default: { ...CHANNEL_LIST, default: [], description: 'Channels for events whose header is missing or not in mapping.' },
      optional: { type: 'object', required: [], additionalProperties: CHANNEL_LIST, default: {}, description: 'Header value -> list of best-effort channels.' },
    },
    required: ['header', 'mapping', 'default', 'optional'],
  } as never,
  /** Flume: `mapping.gold = c1 c2`, `optional.gold = c3`, `default = c4`, `header = tier`. */
  fromFlume(properties) {
    const out: Record<string, unknown> = {};
    const mapping: Record<string, string[]> = {};
    const optional: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key.startsWith('mapping.')) mapping[key.slice('mapping.'.length)] = splitFlumeList(value);
      else if (key.startsWith('optional.')) optional[key.slice('optional.'.length)] = splitFlumeList(value);
      else if (key === 'default') out.default = splitFlumeList(value);
      else out[key] = value;
    }
    out.mapping = mapping;
    out.optional = optional;
    return out;
  },
  create: (config, ctx: SelectorContext) => new MultiplexingSelector(config, ctx.channels, ctx.metrics),
});
