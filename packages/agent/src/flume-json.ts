import type { MetricGroup } from '@sluice/core';

/** Gauges a channel always reports, even before their first change. */
const CHANNEL_DEFAULTS = { ChannelBlockedMillis: 0 };

/**
 * Renders metric groups in the shape of Flume's HTTP monitoring (`GET /metrics`): one object per
 * component keyed `TYPE.name` (`SOURCE.r1`, `CHANNEL.c1`, `SINK.k1`), every value a string, plus
 * `Type`. ChannelFillPercentage is written like Java's double (`5.0`). Dashboards and scripts
 * written for Flume read it unchanged.
 */
export function renderFlumeJson(groups: readonly MetricGroup[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const group of groups) {
    const snapshot = group.kind === 'CHANNEL' ? { ...CHANNEL_DEFAULTS, ...group.snapshot() } : group.snapshot();
    const entry: Record<string, string> = { Type: group.kind };
    for (const key of Object.keys(snapshot).sort()) {
      const value = snapshot[key as keyof typeof snapshot]!;
      entry[key] = key === 'ChannelFillPercentage' ? javaDouble(value) : String(value);
    }
    out[`${group.kind}.${group.name}`] = entry;
  }
  return out;
}

function javaDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
