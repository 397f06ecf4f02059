import type { MetricGroup } from '@sluice/core';

/** One benchmark figure line. */
export interface BenchResult {
  scenario: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  mbPerSec: number;
  p99LatencyMs?: number;
  peakRssMb: number;
  [extra: string]: unknown;
}

/** Samples RSS every 50 ms; `stop()` returns the peak in MB. */
export function trackPeakRss(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return Math.round((peak / 1024 / 1024) * 10) / 10;
    },
  };
}

/** Builds a result with rounded rates from counts, bytes and elapsed nanoseconds. */
export function result(scenario: string, events: number, bytes: number, elapsedNs: bigint, peakRssMb: number, extra: Record<string, unknown> = {}): BenchResult {
  const seconds = Number(elapsedNs) / 1e9;
  return {
    scenario,
    events,
    seconds: Math.round(seconds * 1000) / 1000,
    eventsPerSec: Math.round(events / seconds),
    mbPerSec: Math.round((bytes / 1e6 / seconds) * 10) / 10,
    peakRssMb,
    ...extra,
  };
}

/** The counters of the sink named `name` in a running agent. */
export function sinkMetrics(agent: { metrics: readonly MetricGroup[] }, name: string): MetricGroup {
  const sink = agent.metrics.find((m) => m.kind === 'SINK' && m.name === name);
  if (!sink) throw new TypeError(`bench topology has no sink '${name}'`);
  return sink;
}

/** Resolves once the sink has delivered `events` events (polled every 5 ms). */
export async function drained(sink: MetricGroup, events: number): Promise<void> {
  while (sink.get('EventDrainSuccessCount') < events) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The median of `values` (the mean of the middle two when their count is even); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The 99th percentile of `values` (sorts them in place); 0 when empty. */
export function percentile99(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(values.length * 0.99))] ?? 0;
}
