/** One scrape of `GET /metrics` (Flume's JSON shape: string values). */
export type FlumeMetrics = Record<string, Record<string, string>>;

/** One scrape of `GET /metrics/workers` (agents with `workers: N`, N > 1). */
export interface WorkersMetrics {
  workers: { index: number; pid?: number; state: string; restarts: number; healthy: boolean; metrics: FlumeMetrics }[];
}

const num = (group: Record<string, string> | undefined, key: string): number => Number(group?.[key] ?? 0) || 0;

/**
 * Renders one `sluice top` screen from two consecutive scrapes taken `elapsedMs` apart: per source
 * events/s received and accepted, per channel size, fill and put/take rates and time sources spent
 * blocked, per stage events/s taken and results/s emitted with bad and late counts, per sink
 * events/s sent, and error counters. With `workers` (two scrapes of /metrics/workers) a WORKERS
 * section shows each worker's pid, state, restarts, events/s in (all its sources) and out (all its
 * sinks). Pure, so tests can check the numbers.
 */
export function renderTop(previous: FlumeMetrics | undefined, current: FlumeMetrics, elapsedMs: number, title: string, workers?: { previous?: WorkersMetrics; current: WorkersMetrics }): string {
  const rate = (key: string, counter: string): string => {
    if (!previous || elapsedMs <= 0) return '-';
    const delta = num(current[key], counter) - num(previous[key], counter);
    return (Math.max(0, delta) / (elapsedMs / 1000)).toFixed(1);
  };
  const keys = Object.keys(current).sort();
  const rows: string[][] = [];
  const section = (type: string, header: string[], row: (key: string, name: string, g: Record<string, string>) => string[]): void => {
    const mine = keys.filter((k) => k.startsWith(`${type}.`));
    if (mine.length === 0) return;
    rows.push([], header);
    for (const key of mine) rows.push(row(key, key.slice(type.length + 1), current[key]!));
  };
  section('SOURCE', ['SOURCE', 'in/s', 'accepted/s', 'received', 'accepted', 'conns', 'errors'], (key, name, g) => [
    name, rate(key, 'EventReceivedCount'), rate(key, 'EventAcceptedCount'), String(num(g, 'EventReceivedCount')), String(num(g, 'EventAcceptedCount')),
    String(num(g, 'OpenConnectionCount')), String(num(g, 'ChannelWriteFail') + num(g, 'EventReadFail') + num(g, 'GenericProcessingFail')),
  ]);
  section('CHANNEL', ['CHANNEL', 'put/s', 'take/s', 'size', 'capacity', 'fill%', 'blocked ms/s'], (key, name, g) => [
    name, rate(key, 'EventPutSuccessCount'), rate(key, 'EventTakeSuccessCount'), String(num(g, 'ChannelSize')), String(num(g, 'ChannelCapacity')),
    num(g, 'ChannelFillPercentage').toFixed(1), rate(key, 'ChannelBlockedMillis'),
  ]);
  section('STAGE', ['STAGE', 'in/s', 'results/s', 'taken', 'windows', 'bad', 'late', 'emit fails'], (key, name, g) => [
    name, rate(key, 'EventTakeSuccessCount'), rate(key, 'ResultEmittedCount'), String(num(g, 'EventTakeSuccessCount')), String(num(g, 'WindowEmittedCount')),
    String(num(g, 'EventBadCount')), String(num(g, 'EventLateCount')), String(num(g, 'EmitFailCount')),
  ]);
  section('SINK', ['SINK', 'out/s', 'sent', 'write fails', 'dead letters', 'empty polls'], (key, name, g) => [
    name, rate(key, 'EventDrainSuccessCount'), String(num(g, 'EventDrainSuccessCount')), String(num(g, 'EventWriteFail')),
    String(num(g, 'EventDeadLetterCount')), String(num(g, 'BatchEmptyCount')),
  ]);
  if (workers) {
    const total = (metrics: FlumeMetrics | undefined, type: string, counter: string): number =>
      Object.entries(metrics ?? {}).filter(([key]) => key.startsWith(`${type}.`)).reduce((sum, [, g]) => sum + num(g, counter), 0);
    const workerRate = (index: number, type: string, counter: string): string => {
      const before = workers.previous?.workers.find((w) => w.index === index);
      if (!before || elapsedMs <= 0) return '-';
      const now = workers.current.workers.find((w) => w.index === index)!;
      return (Math.max(0, total(now.metrics, type, counter) - total(before.metrics, type, counter)) / (elapsedMs / 1000)).toFixed(1);
    };
    rows.push([], ['WORKER', 'pid', 'state', 'restarts', 'in/s', 'out/s']);
    for (const w of workers.current.workers) {
      rows.push([String(w.index), String(w.pid ?? '-'), w.state === 'running' && !w.healthy ? 'unhealthy' : w.state, String(w.restarts),
        workerRate(w.index, 'SOURCE', 'EventReceivedCount'), workerRate(w.index, 'SINK', 'EventDrainSuccessCount')]);
    }
  }
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  const lines = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
  return `${title}\n${lines.join('\n')}\n`;
}
