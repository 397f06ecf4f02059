// rxjs's root entry loads every operator (hundreds of modules, ~0.1 s and several MB at start-up);
// the agent needs only Subject, whose Observable is the same class the root entry exports.
import type { Observable } from 'rxjs';
import { Subject } from 'rxjs/internal/Subject';

/** Names of the typed telemetry events every component emits (docs/spec/component.md). */
export type TelemetryType = 'source.events_received' | 'sink.events_sent' | 'component.error' | 'channel.blocked';

/** One telemetry record: which component, how many events and bytes, and the error if any. */
export interface TelemetryEvent {
  type: TelemetryType;
  component: string;
  count: number;
  bytes: number;
  error?: unknown;
}

/**
 * The agent-wide telemetry stream. Components call `emit` after each batch; when nobody subscribes,
 * `emit` returns at once, so instrumentation costs nothing on the hot path. Check `observed`
 * before building an expensive record.
 */
export class Telemetry {
  private readonly subject = new Subject<TelemetryEvent>();
  /** The stream of telemetry events, for the monitoring server, tests and the testkit. */
  readonly events$: Observable<TelemetryEvent> = this.subject.asObservable();

  /** True when at least one subscriber listens. */
  get observed(): boolean {
    return this.subject.observed;
  }

  emit(type: TelemetryType, component: string, count: number, bytes: number, error?: unknown): void {
    if (!this.subject.observed) return;
    this.subject.next(error === undefined ? { type, component, count, bytes } : { type, component, count, bytes, error });
  }
}
