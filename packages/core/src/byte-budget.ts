/**
 * Bytes of input a component holds but has not committed yet (partial frames, request bodies being
 * read or parsed), counted against a limit. A budget may have a parent: a source's own budget
 * (its `maxPendingBytes`) under the agent's (the agent's `maxPendingBytes`, shared by every source
 * through `SourceContext.inputBudget`), so many connections on many sources cannot add up past
 * either. A reservation is all or nothing: it fits both this budget and every parent, or nothing is
 * taken.
 *
 * Sources call `reserve` as they read and `release` the same amount once the input is committed,
 * refused or the connection is gone; a limit of 0 means no limit at that level.
 */
export class ByteBudget {
  private usedBytes = 0;

  /** @param limit most bytes held at once; 0 for no limit. Changeable (an agent reload sets it). */
  constructor(public limit: number, private readonly parent?: ByteBudget) {}

  /** Bytes reserved and not yet released. */
  get used(): number {
    return this.usedBytes;
  }

  /** Which budget `bytes` more would overflow: 'own', 'parent', or undefined when they fit. */
  wouldOverflow(bytes: number): 'own' | 'parent' | undefined {
    if (this.limit > 0 && this.usedBytes + bytes > this.limit) return 'own';
    if (this.parent?.wouldOverflow(bytes) !== undefined) return 'parent';
    return undefined;
  }

  /** Takes `bytes` when they fit this budget and its parents; false (nothing taken) otherwise. */
  reserve(bytes: number): boolean {
    if (bytes <= 0) return true;
    if (this.wouldOverflow(bytes) !== undefined) return false;
    this.take(bytes);
    return true;
  }

  /** Gives back `bytes` taken by `reserve`. */
  release(bytes: number): void {
    if (bytes <= 0) return;
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
    this.parent?.release(bytes);
  }

  private take(bytes: number): void {
    this.usedBytes += bytes;
    this.parent?.take(bytes);
  }
}
