import { monitoringBase, monitoringOfFile } from './monitoring-address.js';
import { renderTop, type FlumeMetrics, type WorkersMetrics } from './render-top.js';
import { monitoringRequestHeaders } from '@sluice/agent';

/** Options of `sluice top`. */
export interface TopCommandOptions {
  /** `http://host:port`, `host:port` or a port; otherwise taken from the file's monitoring.http.port. */
  target: string | undefined;
  file: string | undefined;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream;
  intervalMs?: number;
  /** Stop after this many screens (default: until Ctrl-C). */
  iterations?: number;
}

/**
 * `sluice top [URL|PORT] [-f FILE]`: a live view of a running agent through its monitoring
 * server's `/metrics`, redrawn every second (events/s in and out, channel fill, errors); for an
 * agent with several workers also each worker's state, restarts and rates (`/metrics/workers`).
 * Resolves 0 on Ctrl-C or after `iterations`; 1 when the agent cannot be reached at the start.
 */
export async function topCommand(options: TopCommandOptions): Promise<number> {
  const base = await resolveBase(options);
  if (!base) {
    options.err.write('sluice top: give the monitoring address (sluice top 41414, sluice top http://host:41414) or -f FILE with monitoring.http.port\n');
    return 2;
  }
  const interval = options.intervalMs ?? 1000;
  let previous: FlumeMetrics | undefined;
  let previousWorkers: WorkersMetrics | undefined;
  let previousAt = 0;
  let stop = false;
  const onInt = (): void => { stop = true; };
  process.once('SIGINT', onInt);
  try {
    for (let i = 0; !stop && (options.iterations === undefined || i < options.iterations); i++) {
      let current: FlumeMetrics;
      try {
        const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000), headers: monitoringRequestHeaders() });
        current = (await response.json()) as FlumeMetrics;
      } catch (error) {
        if (previous === undefined) {
          options.err.write(`sluice top: cannot read ${base}/metrics: ${(error as Error).message}; is the agent running with monitoring.http set?\n`);
          return 1;
        }
        options.out.write(`${options.out.isTTY ? '\x1b[H\x1b[2J' : ''}sluice top ${base}: agent unreachable (${(error as Error).message}); retrying\n`);
        await sleep(interval);
        continue;
      }
      const health = await readHealth(base);
      const workers = await readWorkers(base);
      const now = Date.now();
      const screen = renderTop(previous, current, now - previousAt, `sluice top ${base}  ${new Date(now).toISOString()}  health: ${health}  (Ctrl-C to quit)`,
        workers ? { ...(previousWorkers ? { previous: previousWorkers } : {}), current: workers } : undefined);
      previousWorkers = workers;
      options.out.write(`${options.out.isTTY ? '\x1b[H\x1b[2J' : ''}${screen}`);
      previous = current;
      previousAt = now;
      if (options.iterations === undefined || i + 1 < options.iterations) await sleep(interval);
    }
  } finally {
    process.off('SIGINT', onInt);
  }
  return 0;
}

async function resolveBase(options: TopCommandOptions): Promise<string | undefined> {
  if (options.target !== undefined) return monitoringBase(options.target);
  if (options.file === undefined) return undefined;
  return (await monitoringOfFile(options.file)).base;
}

/** The agent's /metrics/workers, or undefined for a single-process agent (404 there). */
async function readWorkers(base: string): Promise<WorkersMetrics | undefined> {
  try {
    const response = await fetch(`${base}/metrics/workers`, { signal: AbortSignal.timeout(5000), headers: monitoringRequestHeaders() });
    if (!response.ok) return undefined;
    return (await response.json()) as WorkersMetrics;
  } catch {
    return undefined;
  }
}

/** `ok`, or `failing (reason)` from the agent's /health. */
async function readHealth(base: string): Promise<string> {
  try {
    const body = (await (await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000), headers: monitoringRequestHeaders() })).json()) as { status?: string; reason?: string };
    return body.status === 'ok' ? 'ok' : `${body.status ?? 'unknown'} (${body.reason ?? 'no reason given'})`;
  } catch {
    return 'unknown';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
