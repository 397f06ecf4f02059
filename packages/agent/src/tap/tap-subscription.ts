import { isUtf8 } from 'node:buffer';
import type { SluiceEvent } from '@sluice/core';
import type { TapListener, TapPoint } from './tap-hub.js';

/** Where a subscription writes its NDJSON lines (an `http.ServerResponse` fits). */
export interface TapOutput {
  write(chunk: string): boolean;
  end(): void;
  /** True while the reader is behind; the subscription then skips events instead of buffering. */
  readonly writableNeedDrain: boolean;
}

/** Options of a {@link TapSubscription}. */
export interface TapSubscriptionOptions {
  /** Most events per second written (a token bucket with a one-second burst). */
  rate: number;
  /** End the output after this many events; 0 for no end. */
  limit: number;
  /** Longer bodies are cut to this many bytes and marked `truncated`. */
  maxBodyBytes: number;
  /** Called once when the subscription ends (limit reached or `close`), after it detached. */
  onEnd?: () => void;
}

/**
 * One `sluice tap` reader: attached to tap points, it writes a rate-limited sample of the events
 * passing them as newline-delimited JSON (one object per line, see docs/cli.md):
 * - `{"type":"event","time","component","point","headers","body"}` with `"bodyEncoding":"base64"`
 *   when the body is not valid UTF-8, and `"truncated":true,"bodyBytes":N` when it was cut;
 * - `{"type":"skipped","time","count","reason"}` at most once a second, counting events not shown
 *   because of the rate limit or because the reader was slow.
 * It never waits for the reader: when the output is backed up, events are skipped and counted, so
 * a slow terminal cannot slow the pipeline.
 */
export class TapSubscription implements TapListener {
  private readonly points: TapPoint[] = [];
  private tokens: number;
  private refilledAt = Date.now();
  private written = 0;
  private skippedByRate = 0;
  private skippedBySlowReader = 0;
  private ended = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly output: TapOutput, private readonly options: TapSubscriptionOptions) {
    this.tokens = Math.max(1, options.rate);
    this.timer = setInterval(() => this.reportSkipped(), 1000);
    this.timer.unref();
  }

  /** Starts receiving the events of `point`. */
  attach(point: TapPoint): void {
    this.points.push(point);
    point.attach(this);
  }

  offer(point: TapPoint, events: readonly SluiceEvent[]): void {
    if (this.ended) return;
    this.refill();
    for (let i = 0; i < events.length; i++) {
      if (this.tokens < 1) {
        this.skippedByRate += events.length - i;
        return;
      }
      if (this.output.writableNeedDrain) {
        this.skippedBySlowReader += events.length - i;
        return;
      }
      this.tokens -= 1;
      this.output.write(`${JSON.stringify(this.describe(point, events[i]!))}\n`);
      this.written += 1;
      if (this.options.limit > 0 && this.written >= this.options.limit) {
        this.close();
        return;
      }
    }
  }

  /** Detaches from every point, writes the last skipped count and ends the output. Idempotent. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    for (const point of this.points) point.detach(this);
    this.reportSkipped();
    this.output.end();
    this.options.onEnd?.();
  }

  private refill(): void {
    const now = Date.now();
    const burst = Math.max(1, this.options.rate);
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * this.options.rate) / 1000);
    this.refilledAt = now;
  }

  private describe(point: TapPoint, event: SluiceEvent): Record<string, unknown> {
    const cut = event.body.length > this.options.maxBodyBytes;
    const body = cut ? event.body.subarray(0, this.options.maxBodyBytes) : event.body;
    const text = isUtf8(body);
    return {
      type: 'event',
      time: new Date().toISOString(),
      component: point.component,
      point: point.kind,
      headers: { ...event.headers },
      body: body.toString(text ? 'utf8' : 'base64'),
      ...(text ? {} : { bodyEncoding: 'base64' }),
      ...(cut ? { truncated: true, bodyBytes: event.body.length } : {}),
    };
  }

  private reportSkipped(): void {
    const time = new Date().toISOString();
    if (this.skippedByRate > 0) this.output.write(`${JSON.stringify({ type: 'skipped', time, count: this.skippedByRate, reason: 'rate limit' })}\n`);
    if (this.skippedBySlowReader > 0) this.output.write(`${JSON.stringify({ type: 'skipped', time, count: this.skippedBySlowReader, reason: 'slow reader' })}\n`);
    this.skippedByRate = 0;
    this.skippedBySlowReader = 0;
  }
}
