import type { Component, Status } from './component.js';
import type { SluiceEvent } from './event.js';

/**
 * A stage: the fourth role beside source, channel and sink. It takes events from one input
 * channel and puts what it derives from them (aggregates, enrichments) into output channels of
 * the same agent. The {@link StageRunner} drives it; the stage never opens a transaction on its
 * input itself.
 *
 * The runner calls, one at a time and never concurrently:
 * 1. `prepare(batch)` with a batch taken (not yet committed) from the input channel. The stage
 *    must make the batch durable in its own state (checkpointed) or turn it into results it has
 *    already committed downstream through {@link StageContext.emit} before resolving. It may
 *    drop records it cannot use (bad or late), counting them and sending them to
 *    {@link StageContext.deadLetter}. Rejecting means nothing of the batch was kept.
 * 2. `commit()` after the take committed, or `rollback()` after it was rolled back (or failed
 *    to commit); on rollback the stage forgets the prepared batch, which the channel delivers
 *    again.
 * 3. `advance(now)` after each batch and on a timer while the input is idle: the stage emits
 *    what is complete at `now` (closed windows) with `ctx.emit`, and only after `emit` resolved
 *    records in its state that it was emitted.
 *
 * Guarantee every stage keeps (the rule `stageSuite` checks): every event committed on the input
 * is counted in the stage's results at least once and never lost, since a take commits only after
 * the batch was checkpointed or its results committed downstream. After a crash an event is
 * counted once per result: a batch that was checkpointed but whose take did not commit is
 * recognised when the channel delivers it again and not counted a second time. A result may be
 * emitted twice only when the crash came after `emit` committed it and before the stage recorded
 * that; the repeat carries the same identity (e.g. a window id header) and identical content, so
 * a consumer can drop it.
 */
export interface Stage extends Component {
  /** Keeps a taken batch (see the interface's step 1). Called by the StageRunner only. */
  prepare(events: readonly SluiceEvent[]): Promise<void>;
  /** The take of the prepared batch committed: it is now the stage's for good. */
  commit(): Promise<void>;
  /** The take of the prepared batch rolled back: forget it, the channel will deliver it again. */
  rollback(): Promise<void>;
  /**
   * Emits whatever is complete at `now` (epoch ms). Returns `ready` when it emitted something and
   * may have more, `backoff` otherwise. Rejects when `emit` failed; the runner retries later, and
   * the stage must emit the same results again then.
   */
  advance(now: number): Promise<Status>;
}
