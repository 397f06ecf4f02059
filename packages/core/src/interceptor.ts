import type { SluiceEvent } from './event.js';

/**
 * Transforms a batch on a source's path before channel selection. Called by the ChannelProcessor,
 * synchronously, once per batch. It may mutate the events it was given and returns the events to
 * keep (dropping an event = not returning it). Must not throw for bad event content: pass such
 * events through unchanged, or drop and count them, as documented per interceptor. The events'
 * headers are header maps that inherit nothing (the processor makes them so, see
 * `createHeaders`): any name, `__proto__` included, can be set and read as an ordinary key.
 */
export interface Interceptor {
  intercept(events: SluiceEvent[]): SluiceEvent[];
  close?(): void;
}
