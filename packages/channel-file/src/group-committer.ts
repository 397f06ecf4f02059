interface Pending<T> {
  entry: T;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every entry submitted while a write is in flight, or within the same event-loop
 * turn, is written by the next single call of `write`, so many small concurrent commits share one
 * fsync instead of queueing one each. Writes never overlap and run in submission order.
 *
 * Callers: the file channel's transactions (`submit` from `commit()`), and its stop (`idle`).
 */
export class GroupCommitter<T> {
  private pending: Pending<T>[] = [];
  private scheduled = false;
  private running: Promise<void> | undefined;

  /** `write` persists a group and applies it; when it throws, every entry of the group is rejected. */
  constructor(private readonly write: (group: T[]) => Promise<void>) {}

  /** Resolves once `entry` was written (durably, per the channel's fsync policy). */
  submit(entry: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      if (!this.scheduled && this.running === undefined) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.running ??= this.drain();
        });
      }
    });
  }

  /** Resolves when nothing is pending or in flight. */
  async idle(): Promise<void> {
    while (this.running !== undefined || this.scheduled || this.pending.length > 0) {
      if (this.running) await this.running;
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending;
        this.pending = [];
        const entries = new Array<T>(group.length);
        for (let i = 0; i < group.length; i++) entries[i] = group[i]!.entry;
        try {
          await this.write(entries);
        } catch (error) {
          for (const item of group) item.reject(error);
          continue;
        }
        for (const item of group) item.resolve();
      }
    } finally {
      this.running = undefined;
    }
  }
}
