import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '@sluice/core';
import { renderFlumeJson } from '../flume-json.js';
import { monitoringAllowed, warnOpenMonitoring } from '../monitoring-auth.js';
import { renderPrometheus } from '../prometheus-text.js';
import { sumMetrics } from './sum-metrics.js';
import { groupFromSnapshot, type WorkerReport } from './worker-messages.js';
import type { WorkerSupervisor } from './worker-supervisor.js';

/** Options for {@link WorkersMonitoringServer}. */
export interface WorkersMonitoringServerOptions {
  agent: string;
  port: number;
  host?: string;
  /** When set, every route but `/health` needs `Authorization: Bearer <token>`. */
  token?: string;
  logger?: Logger;
}

/**
 * The monitoring server of an agent with several workers, run by the primary (`monitoring.http`).
 * Each request asks every worker for its metrics over IPC (see {@link WorkerSupervisor.reports}).
 * - `GET /metrics`: Flume's JSON shape, every component's counters summed over the workers (see
 *   {@link sumMetrics}), so Flume dashboards read the whole agent.
 * - `GET /metrics/workers`: `{"agent", "workers": [{"index", "pid", "state", "restarts",
 *   "startedAt", "connections", "healthy", "metrics": {Flume JSON of that worker}}]}`
 *   (`connections`: TCP connections the primary handed to that worker that are still open).
 * - `GET /metrics/prometheus`: one series per worker, labelled `worker="<index>"` besides `agent`,
 *   `component` and `kind` (sum them in queries: `sum without (worker) (...)`).
 * - `GET /health`: 200 when every worker runs and is healthy, 503 naming the others.
 * - `GET /tap`: 404; taps attach to one process, so they need `workers: 1`.
 */
export class WorkersMonitoringServer {
  private readonly server: http.Server;
  private readonly logger: Logger;

  constructor(private readonly supervisor: WorkerSupervisor, private readonly options: WorkersMonitoringServerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'monitoring' });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.logger.error({ err }, 'monitoring request failed');
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.logger.info({ port: this.port, host: this.options.host ?? '0.0.0.0', workers: this.supervisor.count }, 'monitoring listening');
    warnOpenMonitoring(this.logger, this.options.host ?? '0.0.0.0', this.options.token);
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!monitoringAllowed(req, res, this.options.token, url ?? '/')) return;
    if (url === '/metrics') {
      const reports = await this.supervisor.reports();
      const summed = sumMetrics(reports.map((r) => r?.groups ?? [])).map(groupFromSnapshot);
      send(res, 200, 'application/json', JSON.stringify(renderFlumeJson(summed)));
    } else if (url === '/metrics/workers') {
      const reports = await this.supervisor.reports();
      const workers = this.supervisor.workers.map((w, i) => ({
        ...w, healthy: reports[i]?.healthy ?? false, metrics: renderFlumeJson((reports[i]?.groups ?? []).map(groupFromSnapshot)),
      }));
      send(res, 200, 'application/json', JSON.stringify({ agent: this.options.agent, workers }));
    } else if (url === '/metrics/prometheus') {
      const reports = await this.supervisor.reports();
      const groups = reports.flatMap((r, index) => (r?.groups ?? []).map((g) => ({ group: groupFromSnapshot(g), index })));
      const workerOf = new Map(groups.map((g) => [g.group, g.index] as const));
      send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderPrometheus(this.options.agent, groups.map((g) => g.group), (g) => workerOf.get(g)));
    } else if (url === '/health') {
      const reports = await this.supervisor.reports();
      const failing = this.supervisor.workers.map((w, i) => ({ w, r: reports[i] })).filter(({ w, r }) => w.state !== 'running' || !r?.healthy);
      const body = failing.length === 0
        ? { status: 'ok', agent: this.options.agent, workers: this.supervisor.count }
        : { status: 'failing', agent: this.options.agent, workers: this.supervisor.count, reason: failing.map(({ w, r }) => describe(w.index, w.state, r)).join('; ') };
      send(res, failing.length === 0 ? 200 : 503, 'application/json', JSON.stringify(body));
    } else if (url === '/tap') {
      send(res, 404, 'text/plain', 'tap is not available on an agent with several workers: each worker is its own process; run the agent with workers: 1 to tap it\n');
    } else if (url === '/') {
      send(res, 200, 'text/html', '<a href="/metrics">metrics</a> <a href="/metrics/workers">workers</a> <a href="/metrics/prometheus">prometheus</a> <a href="/health">health</a>');
    } else {
      send(res, 404, 'text/plain', 'not found: try /metrics, /metrics/workers, /metrics/prometheus or /health\n');
    }
  }
}

function describe(index: number, state: string, report: WorkerReport | undefined): string {
  if (state !== 'running') return `worker ${index} is ${state}`;
  if (!report) return `worker ${index} did not answer`;
  const components = report.status.components ? `components failed to start: ${Object.keys(report.status.components).join(', ')}` : undefined;
  return `worker ${index}: ${report.status.reason ?? components ?? `agent is ${report.status.state}`}`;
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}
