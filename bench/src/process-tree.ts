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

function readStat(pid: number, file = `/proc/${pid}/stat`): { ppid: number; cpuTicks: number } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** CPU ticks of the process's main thread alone (its task whose id is the pid). */
function mainThreadTicks(pid: number): number {
  return readStat(pid, `/proc/${pid}/task/${pid}/stat`)?.cpuTicks ?? 0;
}

/**
 * CPU ticks every core of the machine spent busy (all but idle and iowait), and of those the ticks
 * a hypervisor gave to someone else (steal), from /proc/stat.
 */
function machineTicks(): { busy: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { busy: fields.reduce((a, b) => a + b, 0) - fields[3]! - fields[4]!, steal: fields[7] ?? 0 };
}

function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** What {@link ProcessTreeUsage.stop} reports. */
export interface TreeUsage {
  /** CPU seconds (user + system) of every thread of the processes. */
  cpuSeconds: number;
  /** CPU seconds of their main threads only (a Node.js process's JavaScript, without V8's helper threads). */
  mainThreadCpuSeconds: number;
  /** CPU seconds the whole machine was busy meanwhile, the processes included (the load generator, the kernel's network work, anything else). */
  machineCpuSeconds: number;
  /** Of machineCpuSeconds, what the hypervisor ran elsewhere while this VM wanted its cores (steal): a shared host's contention, visible. */
  stolenCpuSeconds: number;
  peakRssMb: number;
}

/**
 * Watches a process and its descendants (a daemon, or `sluice agent` with its workers): CPU seconds
 * they spent between `start` and `stop` (user + system, summed over the live processes; and their
 * main threads' alone), the machine's busy CPU seconds over the same span, and the peak of their
 * summed RSS, sampled every 50 ms. Used by the bench to compare Sluice with peers that run as their
 * own processes.
 */
export class ProcessTreeUsage {
  private startTicks = new Map<number, number>();
  private startMainTicks = new Map<number, number>();
  private startMachineTicks = { busy: 0, steal: 0 };
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;
  private pids: number[] = [];
  private samples = 0;

  constructor(private readonly pid: number) {}

  start(): void {
    const tree = processTree(this.pid);
    this.startTicks = new Map(tree.map((p) => [p, readStat(p)?.cpuTicks ?? 0] as const));
    this.startMainTicks = new Map(tree.map((p) => [p, mainThreadTicks(p)] as const));
    this.startMachineTicks = machineTicks();
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
  }

  /** CPU seconds since `start` and peak RSS in MB. Call before the processes exit. */
  stop(): TreeUsage {
    clearInterval(this.timer);
    const machine = machineTicks();
    this.sample();
    let ticks = 0;
    let mainTicks = 0;
    for (const pid of processTree(this.pid)) {
      ticks += (readStat(pid)?.cpuTicks ?? 0) - (this.startTicks.get(pid) ?? 0);
      mainTicks += mainThreadTicks(pid) - (this.startMainTicks.get(pid) ?? 0);
    }
    const seconds = (t: number): number => Math.round((t / TICKS) * 100) / 100;
    return {
      cpuSeconds: seconds(ticks), mainThreadCpuSeconds: seconds(mainTicks),
      machineCpuSeconds: seconds(machine.busy - this.startMachineTicks.busy), stolenCpuSeconds: seconds(machine.steal - this.startMachineTicks.steal),
      peakRssMb: Math.round((this.peak / 1024 / 1024) * 10) / 10,
    };
  }

  private sample(): void {
    // Scanning /proc for the tree costs more than reading RSS: refresh it once a second.
    if (this.samples++ % 20 === 0) this.pids = processTree(this.pid);
    let sum = 0;
    for (const pid of this.pids) sum += rssBytes(pid);
    this.peak = Math.max(this.peak, sum);
  }
}
