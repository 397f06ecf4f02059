/**
 * Reuses the buffers batches are encoded into. A batch-sized Buffer per commit is external memory
 * that drives V8's garbage collector and costs fresh page faults; reusing a few keeps the hot path
 * warm. A buffer goes back to the pool only after the write that used it settled, so the kernel is
 * done with it.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  /** Keeps at most `max` buffers of at most `largest` bytes each. */
  constructor(private readonly max = 4, private readonly largest = 4 * 1024 * 1024) {}

  /** A buffer of at least `size` bytes (its contents are garbage). */
  acquire(size: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const buffer = this.free[i]!;
      if (buffer.length >= size) {
        this.free.splice(i, 1);
        return buffer;
      }
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** Returns a buffer once nothing uses it any more. */
  release(buffer: Buffer): void {
    if (buffer.length <= this.largest && this.free.length < this.max) this.free.push(buffer);
  }
}
