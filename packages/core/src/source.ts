import type { Component, Status } from './component.js';

/** A source the agent drives: a runner calls `poll` in a loop. */
export interface PollableSource extends Component {
  /**
   * Reads one batch and hands it to `ctx.deliver`. Resolves `ready` when it delivered and more
   * may be waiting, `backoff` when there was nothing to read. Rejections are retried by the runner
   * with capped exponential backoff; the source must not lose data it already acknowledged.
   */
  poll(): Promise<Status>;
}

/**
 * A source that owns its I/O (a server socket, a file watcher) and calls `ctx.deliver(batch)`
 * itself from `start()` on. It must turn a rejected delivery into backpressure its clients
 * understand (pause reading, answer 503/FAILED) and never drop an event silently.
 */
export type EventDrivenSource = Component;

/** Either kind of source; the agent tells them apart by the presence of `poll`. */
export type Source = PollableSource | EventDrivenSource;

/** True when the source must be driven by a PollableSourceRunner. */
export function isPollable(source: Source): source is PollableSource {
  return typeof (source as Partial<PollableSource>).poll === 'function';
}
