import type { Component } from './component.js';
import type { SluiceEvent } from './event.js';

/**
 * A buffer between sources and sinks. Every read and write goes through an explicit
 * {@link Transaction}; there is no ambient (thread- or context-bound) transaction.
 *
 * Callers: the ChannelProcessor (puts, on behalf of sources) and sinks (takes). Any number of
 * transactions may be open at once, each used by one caller at a time.
 */
export interface Channel extends Component {
  /** Opens a transaction. Throws SLUICE_CHANNEL_CLOSED when the channel is not running. */
  transaction(): Transaction;
  /**
   * Registers a wake-up called when committed events become available to take. Sink runners
   * use it to sleep while the channel is empty without polling. Returns the unsubscribe function.
   */
  onReadable?(listener: () => void): () => void;
  /**
   * Events held (committed and not yet taken for good) and the most it holds (0: no event limit),
   * as the ChannelSize and ChannelCapacity metrics show them; every BaseChannel has them. Sink
   * runners read them to drain a channel that is filling up before they yield.
   */
  readonly size?: number;
  readonly capacity?: number;
}

/**
 * One unit of work against a channel. Lifecycle: any number of `put`/`take` calls, then exactly
 * one of `commit` or `rollback`. After a failed `commit` only `rollback` is allowed. Calls in any
 * other state throw SLUICE_TX_STATE.
 *
 * Guarantees: puts are invisible to takers until commit, and all-or-nothing; taken events are
 * reserved for this transaction and removed only on commit; rollback returns them to the head of
 * the channel in their original order.
 */
export interface Transaction {
  /** Stages events; they become visible on commit. Throws SLUICE_TX_CAPACITY past transactionCapacity. */
  put(events: readonly SluiceEvent[]): void;
  /** Reserves up to `max` events from the head of the channel; resolves `[]` when empty. */
  take(max: number): Promise<SluiceEvent[]>;
  /** Makes puts visible and removes taken events. Rejects with SLUICE_CHANNEL_FULL when there is no room. */
  commit(): Promise<void>;
  /** Discards puts and returns taken events to the head, in order. Never loses committed events. */
  rollback(): Promise<void>;
}
