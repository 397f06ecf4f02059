import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** `pid` and every live descendant of it, read from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const child of children.get(p) ?? []) walk(child);
  };
  walk(pid);
  return out;
}

function readStat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Watches a process and its descendants (a daemon, or `sluice agent` with its workers): CPU seconds
 * they spent between `start` and `stop` (user + system, summed over the live processes), and the
 * peak of their summed RSS, sampled every 50 ms. Used by the bench to compare Sluice with peers
 * that run as their own processes.
 */
export class ProcessTreeUsage {
  private startTicks = new Map<number, number>();
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;
  private pids: number[] = [];
  private samples = 0;

  constructor(private readonly pid: number) {}

  start(): void {
    this.startTicks = new Map(processTree(this.pid).map((p) => [p, readStat(p)?.cpuTicks ?? 0] as const));
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
  }

  /** CPU seconds since `start` and peak RSS in MB. Call before the processes exit. */
  stop(): { cpuSeconds: number; peakRssMb: number } {
    clearInterval(this.timer);
    this.sample();
    let ticks = 0;
    for (const pid of processTree(this.pid)) ticks += (readStat(pid)?.cpuTicks ?? 0) - (this.startTicks.get(pid) ?? 0);
    return { cpuSeconds: Math.round((ticks / TICKS) * 100) / 100, peakRssMb: Math.round((this.peak / 1024 / 1024) * 10) / 10 };
  }

  private sample(): void {
    // Scanning /proc for the tree costs more than reading RSS: refresh it once a second.
    if (this.samples++ % 20 === 0) this.pids = processTree(this.pid);
    let sum = 0;
    for (const pid of this.pids) sum += rssBytes(pid);
    this.peak = Math.max(this.peak, sum);
  }
}
