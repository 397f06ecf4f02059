interface InFlight<T> {
  tag: T;
  delivery: Promise<void>;
}

/**
 * Keeps up to `limit` deliveries of one source in flight and acknowledges them strictly in the
 * order they were started, so a source can hand its next batch to the channels while the previous
 * commit (a file channel's fsync) is still in flight, and still advance its own position (a
 * sequence, a file offset) only past batches that were committed together with every batch
 * before them.
 *
 * Failure: when a delivery fails, the ones started after it are waited for (their outcome is
 * discarded: the source must start them again), nothing after the failed one is acknowledged, and
 * the failed delivery's error is thrown; the source then resumes at the first unacknowledged
 * batch. A later batch that a channel had already committed is thus delivered twice
 * (at-least-once), never skipped.
 *
 * Callers: one source at a time (a pollable source's `poll`, its `stop`); `push`, `flush` and
 * `abandon` must not overlap.
 */
export class OrderedDeliveries<T> {
  private queue: InFlight<T>[] = [];
  /** Some delivery in flight has failed (seen through its rejection handler). */
  private failed = false;

  /**
   * @param limit Most deliveries in flight at once (at least 1; 1 waits for each before the next).
   * @param onAcked Called once per delivery, in start order, when it and every earlier one succeeded.
   */
  constructor(readonly limit: number, private readonly onAcked: (tag: T) => void) {
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`OrderedDeliveries: limit must be an integer of at least 1, got ${limit}`);
  }

  /** Deliveries started and not yet acknowledged or abandoned. */
  get size(): number {
    return this.queue.length;
  }

  /**
   * Records a started delivery. Resolves once fewer than `limit` are in flight (acknowledging the
   * oldest as they succeed); rejects with the first failure (see the class), after which nothing
   * is in flight.
   */
  async push(tag: T, delivery: Promise<void>): Promise<void> {
    delivery.catch(() => {
      this.failed = true;
    });
    this.queue.push({ tag, delivery });
    while (this.queue.length >= this.limit || (this.failed && this.queue.length > 0)) await this.ackOldest();
  }

  /** Waits for every delivery in flight: resolves when all were acknowledged, rejects as {@link push}. */
  async flush(): Promise<void> {
    while (this.queue.length > 0) await this.ackOldest();
  }

  /** Waits for every delivery in flight and acknowledges none of them (a source stopping). */
  async abandon(): Promise<void> {
    const rest = this.queue;
    this.queue = [];
    await Promise.allSettled(rest.map((entry) => entry.delivery));
    this.failed = false;
  }

  private async ackOldest(): Promise<void> {
    const oldest = this.queue[0]!;
    try {
      await oldest.delivery;
    } catch (error) {
      await this.abandon();
      throw error;
    }
    this.queue.shift();
    this.onAcked(oldest.tag);
  }
}
