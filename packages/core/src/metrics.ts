/** The component groups Flume reports, used as the `TYPE` in `TYPE.name` metric keys. */
export type MetricKind = 'SOURCE' | 'CHANNEL' | 'SINK' | 'STAGE' | 'INTERCEPTOR' | 'SELECTOR' | 'SINK_PROCESSOR';

/** Flume's source counters (`SourceCounterMBean`). */
export const SOURCE_COUNTERS = [
  'EventReceivedCount', 'EventAcceptedCount', 'AppendReceivedCount', 'AppendAcceptedCount',
  'AppendBatchReceivedCount', 'AppendBatchAcceptedCount', 'OpenConnectionCount', 'EventReadFail',
  'ChannelWriteFail', 'GenericProcessingFail',
] as const;
/** Flume's channel counters (`ChannelCounterMBean`); size, capacity and fill are gauges. */
export const CHANNEL_COUNTERS = [
  'EventPutAttemptCount', 'EventPutSuccessCount', 'EventTakeAttemptCount', 'EventTakeSuccessCount',
  'EventPutErrorCount', 'EventTakeErrorCount',
] as const;
/** Flume's sink counters (`SinkCounterMBean`) plus the dead-letter and rejected counts. */
export const SINK_COUNTERS = [
  'ConnectionCreatedCount', 'ConnectionClosedCount', 'ConnectionFailedCount', 'BatchEmptyCount',
  'BatchUnderflowCount', 'BatchCompleteCount', 'EventDrainAttemptCount', 'EventDrainSuccessCount',
  'EventWriteFail', 'ChannelReadFail', 'EventDeadLetterCount', 'EventRejectedCount',
] as const;

/**
 * A stage's counters (no Flume equivalent; named in Flume's style): events taken from its input,
 * events kept, events dropped as bad (not matching the schema) or late, events sent to the
 * dead-letter channel, events delivered again after a crash and recognised as already counted,
 * results (rows) and result sets (windows) emitted, result sets whose computation failed (skipped),
 * and failed emits (retried).
 */
export const STAGE_COUNTERS = [
  'EventTakeSuccessCount', 'EventAcceptedCount', 'EventBadCount', 'EventLateCount', 'EventDeadLetterCount',
  'EventDuplicateCount', 'ResultEmittedCount', 'WindowEmittedCount', 'WindowFailCount', 'EmitFailCount',
] as const;

const COUNTERS_BY_KIND: Record<MetricKind, readonly string[]> = {
  SOURCE: SOURCE_COUNTERS, CHANNEL: CHANNEL_COUNTERS, SINK: SINK_COUNTERS, STAGE: STAGE_COUNTERS,
  INTERCEPTOR: [], SELECTOR: [], SINK_PROCESSOR: [],
};

/**
 * The counters and gauges of one component. Components call `inc` once per batch (never per
 * event); the agent's monitoring server calls `snapshot`. Counter names follow Flume so
 * existing dashboards keep working; components may add their own with `inc` on a new name.
 */
export class MetricGroup {
  readonly counters: Record<string, number> = Object.create(null);
  private readonly gauges = new Map<string, () => number>();
  startTime = 0;
  stopTime = 0;

  constructor(readonly kind: MetricKind, readonly name: string, readonly type = '') {
    for (const counter of COUNTERS_BY_KIND[kind]) this.counters[counter] = 0;
  }

  /** Adds `n` to a counter, creating it at 0 when new. */
  inc(counter: string, n = 1): void {
    this.counters[counter] = (this.counters[counter] ?? 0) + n;
  }

  /** Registers a gauge read at snapshot time (ChannelSize, ChannelFillPercentage, ...). */
  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  /** Counter value, 0 when never incremented. */
  get(counter: string): number {
    return this.counters[counter] ?? this.gauges.get(counter)?.() ?? 0;
  }

  /** Every counter and gauge, plus StartTime and StopTime, as numbers. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = { ...this.counters };
    for (const [name, read] of this.gauges) out[name] = read();
    out.StartTime = this.startTime;
    out.StopTime = this.stopTime;
    return out;
  }
}
