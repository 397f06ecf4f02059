/**
 * A growable ring-buffer deque tuned for batches: append many at the tail, remove many from the
 * head, and put many back at the head (rollback) without shifting the whole array.
 */
export class EventQueue<T> {
  private buffer: (T | undefined)[] = new Array(1024);
  private mask = 1023;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Appends items at the tail, in order. */
  pushAll(items: readonly T[]): void {
    this.ensure(this.count + items.length);
    let index = (this.head + this.count) & this.mask;
    for (let i = 0; i < items.length; i++) {
      this.buffer[index] = items[i];
      index = (index + 1) & this.mask;
    }
    this.count += items.length;
  }

  /** Puts items back at the head so that items[0] is the next one shifted. */
  unshiftAll(items: readonly T[]): void {
    this.ensure(this.count + items.length);
    for (let i = items.length - 1; i >= 0; i--) {
      this.head = (this.head - 1) & this.mask;
      this.buffer[this.head] = items[i];
    }
    this.count += items.length;
  }

  /** Removes and returns up to `max` items from the head. */
  shiftMany(max: number): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    let index = this.head;
    for (let i = 0; i < n; i++) {
      out[i] = this.buffer[index] as T;
      this.buffer[index] = undefined;
      index = (index + 1) & this.mask;
    }
    this.head = index;
    this.count -= n;
    return out;
  }

  /** Drops every item. */
  clear(): void {
    this.buffer = new Array(1024);
    this.mask = 1023;
    this.head = 0;
    this.count = 0;
  }

  private ensure(needed: number): void {
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length;
    while (size < needed) size *= 2;
    const next = new Array<T | undefined>(size);
    for (let i = 0; i < this.count; i++) next[i] = this.buffer[(this.head + i) & this.mask];
    this.buffer = next;
    this.mask = size - 1;
    this.head = 0;
  }
}
