import type { MetricGroup } from '@sluice/core';

/** Flume attributes that go up and down (OpenConnectionCount is a Flume counter name but a level). */
const GAUGES = new Set(['ChannelSize', 'ChannelCapacity', 'ChannelFillPercentage', 'OpenConnectionCount', 'StartTime', 'StopTime']);

/** Labels every sample carries. */
interface Sample { labels: string; value: number }

/**
 * Renders metric groups in the Prometheus text exposition format (version 0.0.4). Each Flume
 * counter `EventReceivedCount` becomes `sluice_event_received_count` with labels `agent`,
 * `component` and `kind` (source, channel, sink); counters are typed `counter`, gauges
 * (ChannelSize, ChannelFillPercentage, OpenConnectionCount, StartTime...) `gauge`.
 * Called by the monitoring server on every scrape. With several workers, the primary passes
 * `workerOf`, and each sample also gets the label `worker` (the index of the worker reporting it).
 */
export function renderPrometheus(agent: string, groups: readonly MetricGroup[], workerOf?: (group: MetricGroup) => number | undefined): string {
  const families = new Map<string, { type: 'counter' | 'gauge'; help: string; samples: Sample[] }>();
  for (const group of groups) {
    const worker = workerOf?.(group);
    const labels = `agent="${escapeLabel(agent)}",component="${escapeLabel(group.name)}",kind="${group.kind.toLowerCase()}"${worker === undefined ? '' : `,worker="${worker}"`}`;
    for (const [counter, value] of Object.entries(group.snapshot())) {
      const name = `sluice_${snakeCase(counter)}`;
      const type = counter in group.counters && !GAUGES.has(counter) ? 'counter' : 'gauge';
      let family = families.get(name);
      if (!family) {
        family = { type, help: `Flume ${counter} of each ${group.kind.toLowerCase()}`, samples: [] };
        families.set(name, family);
      }
      family.samples.push({ labels, value });
    }
  }
  const lines: string[] = [];
  for (const [name, family] of families) {
    lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
    for (const sample of family.samples) lines.push(`${name}{${sample.labels}} ${formatValue(sample.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `EventReceivedCount` -> `event_received_count`. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
