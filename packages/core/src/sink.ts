import type { Component, Status } from './component.js';

/**
 * A sink drains one channel. A SinkRunner (through a sink processor) calls `process` in a loop,
 * never concurrently for the same sink. One call moves at most one batch: open a transaction on
 * `ctx.channel`, take, deliver, commit; on any failure roll back and reject (so the events stay in
 * the channel). Resolve `backoff` when the channel was empty. Most sinks extend {@link BatchSink},
 * which implements this template.
 */
export interface Sink extends Component {
  process(): Promise<Status>;
}
