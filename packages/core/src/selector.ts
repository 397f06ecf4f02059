import type { Channel } from './channel.js';
import type { SluiceEvent } from './event.js';

/** One channel and the events bound for it. */
export interface ChannelBatch {
  channel: Channel;
  name: string;
  events: SluiceEvent[];
}

/** Where one batch goes: required channels must all commit; optional ones are best-effort. */
export interface Routing {
  required: ChannelBatch[];
  optional: ChannelBatch[];
}

/**
 * Decides which channels receive which events of a batch. Called by the ChannelProcessor once per
 * batch after the interceptors; must be synchronous and must not mutate the events.
 */
export interface ChannelSelector {
  route(events: SluiceEvent[]): Routing;
}
