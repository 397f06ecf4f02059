import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROBER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'health-prober.js');

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
 * needed) and, when a monitoring port is given, how long `GET /health` takes every `healthEveryMs`,
 * timed by a separate process (health-prober.js) so the caller's own work does not distort it.
 * A /health that fails or does not answer within 5 s counts as an error (status 0).
 */
export class ProcessProbe {
  readonly rss: { t: number; mb: number }[] = [];
  readonly health: { t: number; ms: number; status: number }[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private prober: ChildProcess | undefined;

  constructor(private readonly pid: () => number | undefined, private readonly options: { monitoringPort?: number; rssEveryMs?: number; healthEveryMs?: number }) {}

  start(): this {
    this.timers.push(setInterval(() => this.sampleRss(), this.options.rssEveryMs ?? 1000));
    if (this.options.monitoringPort !== undefined) {
      const prober = spawn(process.execPath, [PROBER, String(this.options.monitoringPort), String(this.options.healthEveryMs ?? 1000)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buffered = '';
      prober.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) this.health.push(JSON.parse(line) as { t: number; ms: number; status: number });
      });
      this.prober = prober;
    }
    return this;
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.prober?.kill('SIGTERM');
    this.prober = undefined;
    this.sampleRss();
  }

  get peakRssMb(): number {
    return this.rss.reduce((m, s) => Math.max(m, s.mb), 0);
  }

  get worstHealthMs(): number {
    return this.health.reduce((m, s) => Math.max(m, s.ms), 0);
  }

  get healthErrors(): number {
    return this.health.filter((h) => h.status !== 200).length;
  }

  private sampleRss(): void {
    const pid = this.pid();
    const mb = pid === undefined ? undefined : procStatusMb(pid, 'VmRSS');
    if (mb !== undefined) this.rss.push({ t: Date.now(), mb });
  }
}
