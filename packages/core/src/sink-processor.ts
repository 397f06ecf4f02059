import type { Component, Status } from './component.js';
import type { Sink } from './sink.js';

/**
 * Drives one sink or a group of sinks. The SinkRunner calls `process` in a loop, never
 * concurrently. The default processor calls its single sink; failover and load_balance pick a sink
 * per call. A processor never loses a batch: a failing sink has already rolled back its transaction.
 */
export interface SinkProcessor extends Component {
  readonly sinks: readonly NamedSink[];
  process(): Promise<Status>;
}

/** A sink together with its topology name. */
export interface NamedSink {
  name: string;
  sink: Sink;
}
