/**
 * Callers waiting for a condition another party makes true (room in a channel, records to take).
 * `wait(ms)` resolves when `wakeAll()` is called or after `ms`, whichever comes first; the waiter
 * then re-checks its condition. `wakeAll()` wakes every caller waiting at that moment, however many
 * there are. Timers are cleared on wake, so nothing lingers.
 */
export class WaitList {
  private waiters: (() => void)[] = [];

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        // Only a timed-out waiter is still listed; wakeAll detached the list it woke.
        const index = this.waiters.indexOf(done);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  wakeAll(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
