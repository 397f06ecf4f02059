import type { MetricSnapshot } from './worker-messages.js';

/**
 * Adds up the metrics of every worker into one snapshot per component, for the primary's
 * `/metrics`: counters are summed, and so are the gauges that count something (ChannelSize,
 * ChannelCapacity, OpenConnectionCount, ...). ChannelFillPercentage is recomputed from the summed
 * size and capacity (the fill of the whole agent); StartTime is the earliest start, StopTime the
 * latest stop (0 while any worker runs the component). Components only some workers run (sources in
 * worker 0 only) appear once, with that worker's values.
 */
export function sumMetrics(perWorker: readonly (readonly MetricSnapshot[])[]): MetricSnapshot[] {
  const out = new Map<string, { kind: MetricSnapshot['kind']; name: string; type: string; counters: Record<string, number>; gauges: Record<string, number>; running: boolean }>();
  for (const groups of perWorker) {
    for (const group of groups) {
      const key = `${group.kind}.${group.name}`;
      let sum = out.get(key);
      if (!sum) {
        sum = { kind: group.kind, name: group.name, type: group.type, counters: {}, gauges: {}, running: false };
        out.set(key, sum);
      }
      for (const [name, value] of Object.entries(group.counters)) sum.counters[name] = (sum.counters[name] ?? 0) + value;
      for (const [name, value] of Object.entries(group.gauges)) {
        if (name === 'StartTime') sum.gauges[name] = sum.gauges[name] === undefined || (value > 0 && value < sum.gauges[name]!) ? value : sum.gauges[name]!;
        else if (name === 'StopTime') {
          if (value === 0) sum.running = true;
          sum.gauges[name] = Math.max(sum.gauges[name] ?? 0, value);
        } else sum.gauges[name] = (sum.gauges[name] ?? 0) + value;
      }
    }
  }
  return [...out.values()].map(({ running, ...group }) => {
    const gauges = { ...group.gauges };
    if (running && gauges.StopTime !== undefined) gauges.StopTime = 0;
    if (gauges.ChannelFillPercentage !== undefined && gauges.ChannelSize !== undefined && gauges.ChannelCapacity) {
      gauges.ChannelFillPercentage = (gauges.ChannelSize / gauges.ChannelCapacity) * 100;
    }
    return { ...group, gauges };
  });
}
