import type { Channel, SluiceEvent, Transaction } from '@sluice/core';
import type { TapPoint } from './tap-hub.js';

/**
 * The channel a sink is given by the agent: the real channel, except that while `point` is watched
 * each new transaction publishes the events its `take` returns (the events entering the sink).
 * Unwatched, `transaction()` returns the channel's own transaction after one boolean check.
 */
export function tappedChannel(channel: Channel, point: TapPoint): Channel {
  const tapped: Channel = {
    get name() {
      return channel.name;
    },
    start: () => channel.start(),
    stop: () => channel.stop(),
    transaction: () => (point.watched ? new TappedTransaction(channel.transaction(), point) : channel.transaction()),
  };
  if (channel.onReadable) tapped.onReadable = (listener) => channel.onReadable!(listener);
  return tapped;
}

class TappedTransaction implements Transaction {
  constructor(private readonly inner: Transaction, private readonly point: TapPoint) {}

  put(events: readonly SluiceEvent[]): void {
    this.inner.put(events);
  }

  async take(max: number): Promise<SluiceEvent[]> {
    const events = await this.inner.take(max);
    if (events.length > 0 && this.point.watched) this.point.publish(events);
    return events;
  }

  commit(): Promise<void> {
    return this.inner.commit();
  }

  rollback(): Promise<void> {
    return this.inner.rollback();
  }
}
