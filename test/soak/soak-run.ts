import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentProcess } from '../helpers/agent-process.js';
import { freePort } from '../helpers/free-port.js';
import { countNumbered, distinctSeen } from './count-numbered.js';
import { AvroSender, HttpSender, LatencyLog, NetcatSender, SyslogTcpSender, SyslogUdpSender, type PacedSender } from './numbered-clients.js';
import { ProcessProbe, procStatusMb, slope } from './process-probe.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Source types the soak drives, each with its sender, body prefix and default rate. */
export const SOAK_SOURCES = {
  netcat: { prefix: 'nc', sender: NetcatSender, ratePerSec: 400, batch: 20 },
  syslog_tcp: { prefix: 'st', sender: SyslogTcpSender, ratePerSec: 800, batch: 100 },
  syslog_udp: { prefix: 'su', sender: SyslogUdpSender, ratePerSec: 200, batch: 10 },
  http: { prefix: 'ht', sender: HttpSender, ratePerSec: 800, batch: 100 },
  avro: { prefix: 'av', sender: AvroSender, ratePerSec: 800, batch: 100 },
} as const;

type SourceType = keyof typeof SOAK_SOURCES;

/** What {@link runSoak} does and for how long. */
export interface SoakOptions {
  durationMs: number;
  /** Multiplies every source's default rate (1: about 3,000 events/s in all). */
  rateScale?: number;
  /** SIGKILL the collector this often (it restarts 2 s later). Default: 5 min, or a third of a run shorter than 10 min. */
  killEveryMs?: number;
  /** Rewrite the edge topology and SIGHUP it this often. Default: 1 min, or a sixth of a run shorter than 10 min. */
  reloadEveryMs?: number;
  /** Leaves out the samples of this first stretch from the slopes. Default: a fifth of the run, at least 30 s. */
  warmupMs?: number;
  /** Progress lines (to stderr in the command). */
  log?: (line: string) => void;
}

/** Loss figures of one source. */
export interface SourceFigures { sent: number; acked: number; delivered: number; missing: number }

/** The soak's result; printed by `npm run soak` as one JSON line. */
export interface SoakReport {
  scenario: 'soak';
  minutes: number;
  ratesPerSec: Record<string, number>;
  killEverySec: number;
  reloadEverySec: number;
  events: Record<string, SourceFigures>;
  /** Acknowledged events (netcat OK, http 200, avro OK, syslog_tcp sent and not reset) missing at the final sink. */
  lostAcknowledged: number;
  /** syslog_udp is best effort: what fraction of the sent datagrams arrived. */
  udpDeliveredRatio: number;
  collectorKills: number;
  reloads: number;
  reloadsApplied: number;
  edgeStayedUp: boolean;
  edgeExitCode: number | null;
  peakRssMb: number;
  hwmRssMb: number;
  rssStartMb: number;
  rssEndMb: number;
  /** Least-squares slope of the edge agent's RSS after warm-up. */
  rssSlopeMbPerMin: number;
  /** Least-squares slope of the edge agent's V8 heapUsed after warm-up. */
  heapSlopeMbPerMin: number;
  /** p99 of acknowledgement round trips (all acknowledging clients), per minute of the run. */
  p99LatencyMsPerMinute: (number | null)[];
  worstHealthMs: number;
  healthErrors: number;
  failedBatches: Record<string, number>;
}

/** The periods a run of `durationMs` uses: 5 min / 1 min for long runs, a third / a sixth of shorter ones. */
export function soakPeriods(durationMs: number): { killEveryMs: number; reloadEveryMs: number } {
  return durationMs >= 10 * 60_000
    ? { killEveryMs: 5 * 60_000, reloadEveryMs: 60_000 }
    : { killEveryMs: Math.round(durationMs / 3), reloadEveryMs: Math.round(durationMs / 6) };
}

function edgeTopology(ports: Record<SourceType, number>, collectorPort: number, dir: string, generation: number): string {
  // Each reload changes the avro sink's and the netcat source's batchSize, so both restart while
  // clients keep sending (the other sources keep their sockets).
  return `# soak edge, reload generation ${generation}
monitoring:
  http: { port: 0, host: 127.0.0.1 }
agents:
  edge:
    sources:
      nc: { type: netcat, port: ${ports.netcat}, channels: [disk], batchSize: ${100 + (generation % 2)} }
      st: { type: syslog_tcp, port: ${ports.syslog_tcp}, channels: [disk] }
      su: { type: syslog_udp, port: ${ports.syslog_udp}, channels: [disk] }
      ht: { type: http, port: ${ports.http}, channels: [disk] }
      av: { type: avro, port: ${ports.avro}, channels: [disk] }
    channels:
      disk: { type: file, dataDir: '${path.join(dir, 'edge-data')}', fsync: interval, minFreeSpace: '0' }
    sinks:
      up: { type: avro, channel: disk, hostname: 127.0.0.1, port: ${collectorPort}, batchSize: ${500 + (generation % 2)},
            connectTimeout: 2s, requestTimeout: 5s, reconnectBackoff: 200ms, maxReconnectBackoff: 2s }
plugins: ['@sluice/plugin-syslog', '@sluice/plugin-http', '@sluice/plugin-avro']
`;
}

function collectorTopology(port: number, dir: string): string {
  return `agents:
  collector:
    sources:
      in: { type: avro, port: ${port}, channels: [disk] }
    channels:
      disk: { type: file, dataDir: '${path.join(dir, 'collector-data')}', fsync: interval, minFreeSpace: '0' }
    sinks:
      out: { type: file_roll, channel: disk, directory: '${path.join(dir, 'out')}', rollInterval: 30s, batchSize: 1000 }
plugins: ['@sluice/plugin-avro']
`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A long run of two real agents: an edge agent with netcat, syslog_tcp, syslog_udp, http and avro
 * sources on a file channel, forwarding over an avro sink to a collector agent (avro source, file
 * channel, file_roll). Well-behaved clients send numbered events at fixed rates throughout; the
 * collector is SIGKILLed and restarted every `killEveryMs` (the edge's avro sink fails and
 * recovers), and the edge's topology is rewritten and reloaded with SIGHUP every `reloadEveryMs`.
 * At the end the clients stop, the run waits (up to 2 min) for the collector's output to hold every
 * acknowledged event, and reports memory slopes, per-minute p99 latency and loss.
 * Every process and the temporary directory are cleaned up, also on failure.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const { killEveryMs, reloadEveryMs } = { ...soakPeriods(options.durationMs), ...(options.killEveryMs ? { killEveryMs: options.killEveryMs } : {}), ...(options.reloadEveryMs ? { reloadEveryMs: options.reloadEveryMs } : {}) };
  const warmupMs = options.warmupMs ?? Math.max(30_000, options.durationMs / 5);
  const scale = options.rateScale ?? 1;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-soak-'));
  mkdirSync(path.join(dir, 'out'));
  const heapFile = path.join(dir, 'edge-heap.jsonl');
  const ports = {} as Record<SourceType, number>;
  for (const type of Object.keys(SOAK_SOURCES) as SourceType[]) ports[type] = await freePort();
  const collectorPort = await freePort();
  const edgeFile = path.join(dir, 'edge.yaml');
  const collectorFile = path.join(dir, 'collector.yaml');
  writeFileSync(collectorFile, collectorTopology(collectorPort, dir));
  let generation = 0;
  writeFileSync(edgeFile, edgeTopology(ports, collectorPort, dir, generation));

  let collector: AgentProcess | undefined;
  let edge: AgentProcess | undefined;
  let monitoringPort: number | undefined;
  const senders = new Map<SourceType, PacedSender>();
  const latency = new LatencyLog();
  const timers: NodeJS.Timeout[] = [];
  let probe: ProcessProbe | undefined;
  try {
    collector = AgentProcess.start(collectorFile, 'collector', { logLevel: 'warn' });
    edge = AgentProcess.start(edgeFile, 'edge', { env: { NODE_OPTIONS: `--import=${path.join(HERE, 'heap-reporter.js')}`, SLUICE_SOAK_HEAP_FILE: heapFile, SLUICE_SOAK_HEAP_INTERVAL_MS: '2000' } });
    const monitoringLine = await edge.waitForLog((l) => l.msg === 'monitoring listening', 60_000);
    monitoringPort = monitoringLine.port as number;
    const edgePid = edge.child.pid!;
    probe = new ProcessProbe(() => edgePid, { monitoringPort, rssEveryMs: 2000, healthEveryMs: 1000 }).start();
    const started = Date.now();
    for (const [type, spec] of Object.entries(SOAK_SOURCES) as [SourceType, (typeof SOAK_SOURCES)[SourceType]][]) {
      senders.set(type, new spec.sender({ prefix: spec.prefix, port: ports[type], ratePerSec: spec.ratePerSec * scale, batch: spec.batch, latency: type === 'syslog_udp' ? undefined : latency }).start());
    }
    log(`soak: edge pid ${edgePid}, monitoring ${monitoringPort}, ${Math.round(options.durationMs / 1000)} s, collector killed every ${killEveryMs / 1000} s, reload every ${reloadEveryMs / 1000} s, dir ${dir}`);

    let kills = 0;
    let reloads = 0;
    let killing: Promise<void> = Promise.resolve();
    timers.push(setInterval(() => {
      killing = killing.then(async () => {
        kills++;
        log(`soak: SIGKILL collector (${kills})`);
        await collector!.kill();
        await sleep(2000);
        collector = AgentProcess.start(collectorFile, 'collector', { logLevel: 'warn' });
      });
    }, killEveryMs));
    timers.push(setInterval(() => {
      reloads++;
      generation++;
      writeFileSync(edgeFile, edgeTopology(ports, collectorPort, dir, generation));
      edge!.child.kill('SIGHUP');
    }, reloadEveryMs));
    timers.push(setInterval(() => {
      const minute = Math.round((Date.now() - started) / 60_000 * 10) / 10;
      const acked = [...senders.values()].map((s) => `${s.book.prefix} ${s.book.acked}/${s.book.sent}`).join(', ');
      log(`soak: ${minute} min, rss ${procStatusMb(edgePid, 'VmRSS')?.toFixed(0)} MB, acked ${acked}`);
    }, 60_000));

    await sleep(options.durationMs);
    for (const timer of timers.splice(0)) clearInterval(timer);
    await Promise.all([...senders.values()].map((s) => s.stop()));
    await killing;
    const edgeStayedUp = edge.child.exitCode === null && edge.child.signalCode === null;
    log('soak: clients stopped; waiting for the collector to write every acknowledged event');

    const prefixes = Object.values(SOAK_SOURCES).map((s) => s.prefix);
    let counts = countNumbered(path.join(dir, 'out'), prefixes);
    const missingNow = (): number => [...senders.entries()].filter(([type]) => type !== 'syslog_udp').reduce((n, [, s]) => n + s.book.missing(counts.get(s.book.prefix)).length, 0);
    for (let waited = 0; missingNow() > 0 && waited < 120_000; waited += 2000) {
      await sleep(2000);
      counts = countNumbered(path.join(dir, 'out'), prefixes);
    }
    const hwm = procStatusMb(edgePid, 'VmHWM') ?? 0;
    probe.stop();
    const edgeStatus = await edge.stop('SIGTERM', 60_000);
    await collector.stop('SIGTERM', 60_000);

    const events: Record<string, SourceFigures> = {};
    const failedBatches: Record<string, number> = {};
    let lostAcknowledged = 0;
    let udpDeliveredRatio = 0;
    for (const [type, sender] of senders) {
      const seen = counts.get(sender.book.prefix);
      const delivered = distinctSeen(seen);
      const missing = type === 'syslog_udp' ? 0 : sender.book.missing(seen).length;
      events[type] = { sent: sender.book.sent, acked: sender.book.acked, delivered, missing };
      if (type !== 'syslog_udp') failedBatches[type] = sender.failedBatches;
      lostAcknowledged += missing;
      if (type === 'syslog_udp') udpDeliveredRatio = Math.round((delivered / Math.max(1, sender.book.sent)) * 1000) / 1000;
    }
    const afterWarmup = started + warmupMs;
    const rssPoints = probe.rss.filter((s) => s.t >= afterWarmup).map((s) => ({ x: s.t / 60_000, y: s.mb }));
    const heap = readFileSync(heapFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: number; pid: number; heapUsed: number })
      .filter((s) => s.pid === edgePid && s.t >= afterWarmup && s.t <= started + options.durationMs);
    const round = (n: number): number => Math.round(n * 100) / 100;
    return {
      scenario: 'soak',
      minutes: round(options.durationMs / 60_000),
      ratesPerSec: Object.fromEntries(Object.entries(SOAK_SOURCES).map(([type, s]) => [type, s.ratePerSec * scale])),
      killEverySec: killEveryMs / 1000,
      reloadEverySec: reloadEveryMs / 1000,
      events,
      lostAcknowledged,
      udpDeliveredRatio,
      collectorKills: kills,
      reloads,
      reloadsApplied: edge.logs.filter((l) => l.msg === 'reload applied').length,
      edgeStayedUp,
      edgeExitCode: edgeStatus.code,
      peakRssMb: round(probe.peakRssMb),
      hwmRssMb: round(hwm),
      rssStartMb: round(rssPoints[0]?.y ?? 0),
      rssEndMb: round(rssPoints.at(-1)?.y ?? 0),
      rssSlopeMbPerMin: round(slope(rssPoints)),
      heapSlopeMbPerMin: round(slope(heap.map((s) => ({ x: s.t / 60_000, y: s.heapUsed / 1024 / 1024 })))),
      p99LatencyMsPerMinute: latency.p99ByPeriod(started, 60_000).slice(0, Math.ceil(options.durationMs / 60_000)),
      worstHealthMs: round(probe.worstHealthMs),
      healthErrors: probe.healthErrors,
      failedBatches,
    };
  } finally {
    for (const timer of timers) clearInterval(timer);
    probe?.stop();
    await Promise.all([...senders.values()].map((s) => s.stop().catch(() => undefined)));
    await edge?.kill();
    await collector?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
