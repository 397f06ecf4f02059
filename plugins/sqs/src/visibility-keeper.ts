import type { HeldMessage, QueueClient } from './queue-client.js';

/**
 * Keeps messages invisible to other receivers while this process holds them (a delivery or
 * channel commit in progress, a transaction not yet committed): every third of the visibility
 * timeout it extends the timeout of every message held longer than that third, so a slow commit
 * never lets a message reappear and be delivered twice meanwhile. Messages leave on delete or release.
 * Counter: `SqsVisibilityExtendCount` (messages extended).
 */
export class VisibilityKeeper {
  private readonly held = new Map<string, { message: HeldMessage; since: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly everyMs: number;

  constructor(private readonly queue: QueueClient, private readonly visibilitySeconds: number, private readonly onExtend: (count: number) => void) {
    this.everyMs = Math.max(500, (visibilitySeconds * 1000) / 3);
  }

  get size(): number {
    return this.held.size;
  }

  hold(messages: readonly HeldMessage[]): void {
    const now = Date.now();
    for (const message of messages) this.held.set(message.receiptHandle, { message, since: now });
    if (!this.timer && this.held.size > 0) {
      this.timer = setInterval(() => void this.extend(), this.everyMs);
      this.timer.unref();
    }
  }

  forget(messages: readonly HeldMessage[]): void {
    for (const message of messages) this.held.delete(message.receiptHandle);
    if (this.held.size === 0) this.stop();
  }

  /** Every message still held (for a release at stop). */
  all(): HeldMessage[] {
    return [...this.held.values()].map((h) => h.message);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async extend(): Promise<void> {
    const due = Date.now() - this.everyMs;
    const stale: HeldMessage[] = [];
    for (const h of this.held.values()) {
      if (h.since <= due) {
        stale.push(h.message);
        h.since = Date.now();
      }
    }
    if (stale.length === 0) return;
    this.onExtend(stale.length);
    await this.queue.changeVisibility(stale, this.visibilitySeconds);
  }
}
