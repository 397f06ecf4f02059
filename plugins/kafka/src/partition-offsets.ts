/**
 * Tracks, for one partition the kafka channel consumes, which fetched offsets are finished (taken
 * by a committed transaction, or skipped as corrupt) and which are still outstanding (buffered, or
 * taken by an open transaction). The offset the channel may commit to Kafka is the lowest
 * outstanding one: committing further would let a crash lose events an open transaction holds.
 *
 * Offsets are JavaScript numbers: exact up to 2^53, far beyond any real partition.
 */
export class PartitionOffsets {
  private outstanding: number[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  private nextAfterFetched = -1;
  /** The offset last committed to Kafka by this channel (-1: none yet). */
  committed = -1;
  /** The partition's high watermark from the latest fetch (-1: unknown). */
  highWatermark = -1;

  /** Records that `offset` was fetched into the channel's buffer (offsets arrive in increasing order). */
  fetched(offset: number): void {
    this.outstanding.push(offset);
    this.nextAfterFetched = offset + 1;
  }

  /** Marks a fetched offset as finished. */
  finish(offset: number): void {
    this.done.add(offset);
    const outstanding = this.outstanding;
    while (this.head < outstanding.length && this.done.delete(outstanding[this.head]!)) this.head++;
    if (this.head > 1024 && this.head * 2 > outstanding.length) {
      this.outstanding = outstanding.slice(this.head);
      this.head = 0;
    }
  }

  /** The offset to commit (the next record a restarted consumer must read), or -1 before any fetch. */
  commitPoint(): number {
    return this.head < this.outstanding.length ? this.outstanding[this.head]! : this.nextAfterFetched;
  }

  /** Records not yet committed to Kafka: the consumer lag this channel is responsible for. */
  lag(): number {
    const from = this.committed >= 0 ? this.committed : this.commitPoint();
    return this.highWatermark >= 0 && from >= 0 ? Math.max(0, this.highWatermark - from) : this.outstanding.length - this.head;
  }
}
