/** Capped exponential backoff: initial, initial×2, ... up to max. `reset` after a success. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly initialMs: number, private readonly maxMs: number) {}

  /** The delay before the next retry, growing until capped. */
  next(): number {
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return delay;
  }

  /** How many consecutive failures so far. */
  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
