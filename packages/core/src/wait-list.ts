/**
 * Callers waiting for a condition another party makes true (room in a channel, records to take).
 * `wait(ms)` resolves when `wakeAll()` is called or after `ms`, whichever comes first; the waiter
 * then re-checks its condition. Timers are cleared on wake, so nothing lingers.
 */
export class WaitList {
  private waiters: (() => void)[] = [];

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.waiters;
      const timer = setTimeout(done, ms);
      waiters.push(done);
      function done(): void {
        clearTimeout(timer);
        const index = waiters.indexOf(done);
        if (index >= 0) waiters.splice(index, 1);
        resolve();
      }
    });
  }

  wakeAll(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
