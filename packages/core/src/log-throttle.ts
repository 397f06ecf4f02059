import type { Logger } from './logger.js';

type Level = 'warn' | 'error' | 'info';

/**
 * Collapses a repeated log line to one line per interval with a count, so a client that opens
 * thousands of bad connections cannot fill the disk with warnings. Components create one per
 * kind of repeated event (a bad frame, a refused connection) and call it where they would log.
 *
 * The first occurrence is logged at once; later ones within `intervalMs` are counted, and the
 * next occurrence after the interval is logged with `suppressed: N` (how many were swallowed
 * since the last line). Nothing is lost silently: a final count is logged by {@link flush}
 * (call it at stop).
 */
export class LogThrottle {
  private last = Number.NEGATIVE_INFINITY;
  private suppressed = 0;
  private lastFields: Record<string, unknown> = {};

  constructor(private readonly logger: Logger, private readonly level: Level, private readonly message: string, private readonly intervalMs = 10_000, private readonly clock: () => number = Date.now) {}

  /** Logs `fields` with the message, or counts it when a line was written less than intervalMs ago. */
  log(fields: Record<string, unknown>): void {
    const now = this.clock();
    if (now - this.last < this.intervalMs) {
      this.suppressed++;
      this.lastFields = fields;
      return;
    }
    this.write({ ...fields, ...(this.suppressed > 0 ? { suppressed: this.suppressed, intervalMs: this.intervalMs } : {}) });
    this.last = now;
    this.suppressed = 0;
  }

  /** Logs how many lines were swallowed since the last one, if any (for stop). */
  flush(): void {
    if (this.suppressed === 0) return;
    this.write({ ...this.lastFields, suppressed: this.suppressed, intervalMs: this.intervalMs });
    this.suppressed = 0;
    this.last = this.clock();
  }

  private write(fields: Record<string, unknown>): void {
    this.logger[this.level](fields, this.message);
  }
}
