interface Pending<T> {
  entry: T;
  /** The entry appends data (a put): it runs in the data lane. */
  data: boolean;
  /** The entry writes the index (a take): it runs in the index lane. Both: it needs both lanes. */
  index: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

/** Which lanes a group holds while its write runs. */
export interface GroupLanes {
  data: boolean;
  index: boolean;
}

/**
 * Group commit in two lanes. Every entry submitted while a write is in flight, or within the same
 * event-loop turn, is written by the next single call of `write` of its lane, so many concurrent
 * commits share one write and one fsync instead of queueing one each.
 *
 * - The data lane carries entries that append data (puts): one group at a time, in submission
 *   order, each entry resolving only after its group's write (which, with `fsync: always`, is
 *   durable when it returns), so put commits are acknowledged in submission order and never
 *   before every earlier put's bytes are on disk.
 * - The index lane carries entries that only write the index (takes): one group at a time, in
 *   submission order. It runs while a data write is in flight, so a take commit, which needs no
 *   fsync, does not wait for a put's; take and put commits may therefore resolve in either order.
 * - An entry that needs both lanes (a transaction that puts and takes) waits until neither lane is
 *   busy, and then everything pending is written as one group holding both lanes.
 *
 * Failure: when a write throws, its group's entries are rejected, and so is every entry of the
 * same lane still pending (submitted before the failure surfaced), handed to `discard` first,
 * unwritten. A producer that keeps several puts in flight (a pipelined source) submitted those
 * later puts counting on the failed one, so none of them may succeed without it: the channel never
 * holds a later batch of such a producer without an earlier one that failed. Entries submitted
 * after the failure form new groups.
 *
 * Callers: the file channel's transactions (`submit` from `commit()`), and its stop (`idle`).
 */
export class GroupCommitter<T> {
  private pending: Pending<T>[] = [];
  private scheduled = false;
  private dataBusy = false;
  private indexBusy = false;
  private readonly running = new Set<Promise<void>>();

  /**
   * @param write Persists a group and applies it, doing only the work of the lanes it holds; when
   *   it throws, the group fails (see the class).
   * @param lanesOf Which lanes an entry needs (at least one).
   * @param discard Told about entries rejected unwritten because an earlier write of their lane failed.
   */
  constructor(
    private readonly write: (group: T[], lanes: GroupLanes) => Promise<void>,
    private readonly lanesOf: (entry: T) => GroupLanes,
    private readonly discard: (entries: T[]) => void = () => undefined,
  ) {}

  /** Resolves once `entry` was written (durably, per the channel's fsync policy). */
  submit(entry: T): Promise<void> {
    const { data, index } = this.lanesOf(entry);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, data, index, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Resolves when nothing is pending or in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.scheduled || this.pending.length > 0) {
      if (this.running.size > 0) await Promise.allSettled([...this.running]);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Starts the groups whose lanes are free. */
  private pump(): void {
    if (this.pending.length === 0) return;
    if (this.pending.some((item) => item.data && item.index)) {
      if (this.dataBusy || this.indexBusy) return;
      const group = this.pending;
      this.pending = [];
      this.start(group, { data: true, index: true });
      return;
    }
    const data: Pending<T>[] = [];
    const index: Pending<T>[] = [];
    const rest: Pending<T>[] = [];
    for (const item of this.pending) {
      if (item.data) (this.dataBusy ? rest : data).push(item);
      else (this.indexBusy ? rest : index).push(item);
    }
    this.pending = rest;
    if (data.length > 0) this.start(data, { data: true, index: false });
    if (index.length > 0) this.start(index, { data: false, index: true });
  }

  private start(group: Pending<T>[], lanes: GroupLanes): void {
    if (lanes.data) this.dataBusy = true;
    if (lanes.index) this.indexBusy = true;
    const entries = new Array<T>(group.length);
    for (let i = 0; i < group.length; i++) entries[i] = group[i]!.entry;
    const run = this.write(entries, lanes).then(
      () => {
        for (const item of group) item.resolve();
      },
      (error: unknown) => {
        const later: Pending<T>[] = [];
        const kept: Pending<T>[] = [];
        for (const item of this.pending) ((lanes.data && item.data) || (lanes.index && item.index) ? later : kept).push(item);
        this.pending = kept;
        if (later.length > 0) this.discard(later.map((item) => item.entry));
        for (const item of group) item.reject(error);
        for (const item of later) item.reject(error);
      },
    ).finally(() => {
      if (lanes.data) this.dataBusy = false;
      if (lanes.index) this.indexBusy = false;
      this.running.delete(run);
      this.pump();
    });
    this.running.add(run);
  }
}
