import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** A field of /proc/<pid>/status in MB (VmRSS, VmHWM, ...), or undefined once the process is gone. */
export function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Slope of the least-squares line through (x, y) points; 0 for fewer than two. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Samples a running process from outside: its RSS every `rssEveryMs` (from /proc, no cooperation
 * needed) and, when a monitoring port is given, how long `GET /health` takes every `healthEveryMs`.
 * A /health that fails or does not answer within 5 s counts as an error with that time.
 */
export class ProcessProbe {
  readonly rss: { t: number; mb: number }[] = [];
  readonly health: { t: number; ms: number; status: number }[] = [];
  healthErrors = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private inFlight = false;

  constructor(private readonly pid: () => number | undefined, private readonly options: { monitoringPort?: () => number | undefined; rssEveryMs?: number; healthEveryMs?: number }) {}

  start(): this {
    this.timers.push(setInterval(() => this.sampleRss(), this.options.rssEveryMs ?? 1000));
    if (this.options.monitoringPort) this.timers.push(setInterval(() => void this.sampleHealth(), this.options.healthEveryMs ?? 1000));
    return this;
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.sampleRss();
  }

  get peakRssMb(): number {
    return this.rss.reduce((m, s) => Math.max(m, s.mb), 0);
  }

  get worstHealthMs(): number {
    return this.health.reduce((m, s) => Math.max(m, s.ms), 0);
  }

  private sampleRss(): void {
    const pid = this.pid();
    const mb = pid === undefined ? undefined : procStatusMb(pid, 'VmRSS');
    if (mb !== undefined) this.rss.push({ t: Date.now(), mb });
  }

  private async sampleHealth(): Promise<void> {
    const port = this.options.monitoringPort?.();
    // One probe at a time: a slow answer is measured, not piled up behind.
    if (port === undefined || this.inFlight) return;
    this.inFlight = true;
    const started = performance.now();
    let status = 0;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      this.healthErrors++;
    }
    this.health.push({ t: Date.now(), ms: performance.now() - started, status });
    this.inFlight = false;
  }
}
