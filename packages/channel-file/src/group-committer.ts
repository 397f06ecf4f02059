interface Pending<T> {
  entry: T;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit: every entry submitted while a write is in flight, or within the same event-loop
 * turn, is written by the next single call of `write`, so many small concurrent commits share one
 * fsync instead of queueing one each. Writes never overlap and run in submission order, and
 * entries settle in submission order: an entry resolves only after its group's write, which
 * comes after every earlier group's.
 *
 * Failure: when a write throws, its group's entries and every entry submitted before the failure
 * surfaced (the next group, still pending) are rejected with that error; the pending ones are
 * handed to `discard` first, unwritten. A producer that keeps several commits in flight (a
 * pipelined source) submitted those later commits counting on the failed one, so none of them may
 * succeed without it: the channel then never holds a later batch of a source without an earlier
 * one that failed. Entries submitted after the failure form new groups.
 *
 * Callers: the file channel's transactions (`submit` from `commit()`), and its stop (`idle`).
 */
export class GroupCommitter<T> {
  private pending: Pending<T>[] = [];
  private scheduled = false;
  private running: Promise<void> | undefined;

  /**
   * @param write Persists a group and applies it; when it throws, the group fails (see the class).
   * @param discard Told about entries rejected without being written because an earlier write failed.
   */
  constructor(private readonly write: (group: T[]) => Promise<void>, private readonly discard: (entries: T[]) => void = () => undefined) {}

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
          const later = this.pending;
          this.pending = [];
          if (later.length > 0) this.discard(later.map((item) => item.entry));
          for (const item of group) item.reject(error);
          for (const item of later) item.reject(error);
          continue;
        }
        for (const item of group) item.resolve();
      }
    } finally {
      this.running = undefined;
    }
  }
}
