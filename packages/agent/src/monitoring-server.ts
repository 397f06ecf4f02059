import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '@sluice/core';
import type { Agent } from './agent.js';
import { renderFlumeJson } from './flume-json.js';
import { monitoringAllowed, warnOpenMonitoring } from './monitoring-auth.js';
import { renderPrometheus } from './prometheus-text.js';
import { resolveTapRequest } from './tap/tap-request.js';
import { TapSubscription } from './tap/tap-subscription.js';

/** Options for {@link MonitoringServer}. */
export interface MonitoringServerOptions {
  /** Port to listen on; 0 picks a free one (see `port` after `start`). */
  port: number;
  host?: string;
  /** Serve `GET /tap` (live event samples for `sluice tap`); off by default. */
  tap?: boolean;
  /** When set, every route but `/health` needs `Authorization: Bearer <token>` (see {@link monitoringAllowed}). */
  token?: string;
  logger?: Logger;
}

/**
 * The agent's monitoring HTTP server (`monitoring.http` in the topology), started by the CLI after
 * the agent. Routes:
 * - `GET /metrics`: Flume's JSON shape (`{"SOURCE.r1": {"EventReceivedCount": "10", ...}}`).
 * - `GET /metrics/prometheus`: Prometheus text format, `sluice_<counter>{agent,component,kind}`.
 * - `GET /health`: 200 `{"status":"ok"}` while the agent runs and every component started,
 *   503 with the state and the failing components otherwise.
 * - `GET /tap?component=NAME[&component=...][&rate=N][&limit=N]`, only with `tap: true`: a chunked
 *   newline-delimited JSON stream of sampled events (see {@link TapSubscription}) that lasts until
 *   the client disconnects, `limit` events were sent or the server stops.
 * It reads `agent.metrics` on each request, so components restarted by a reload show up at once.
 */
export class MonitoringServer {
  private readonly server: http.Server;
  private readonly logger: Logger;
  private readonly subscriptions = new Set<TapSubscription>();

  constructor(private readonly agent: Agent, private readonly options: MonitoringServerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'monitoring' });
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  /** The bound port (after `start`). */
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
    this.logger.info({ port: this.port, host: this.options.host ?? '0.0.0.0' }, 'monitoring listening');
    warnOpenMonitoring(this.logger, this.options.host ?? '0.0.0.0', this.options.token);
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    for (const subscription of [...this.subscriptions]) subscription.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(req.method === 'TRACE' || req.method === 'OPTIONS' ? 403 : 405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!monitoringAllowed(req, res, this.options.token, url ?? '/')) return;
    if (url === '/metrics') {
      send(res, 200, 'application/json', JSON.stringify(renderFlumeJson(this.agent.metrics)));
    } else if (url === '/metrics/prometheus') {
      send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderPrometheus(this.agent.name, this.agent.metrics));
    } else if (url === '/health') {
      const status = this.agent.status;
      const healthy = this.agent.healthy;
      const reason = healthy ? undefined : status.reason ?? (status.components ? `components failed to start: ${Object.keys(status.components).join(', ')}` : `agent is ${status.state}`);
      send(res, healthy ? 200 : 503, 'application/json', JSON.stringify({ status: healthy ? 'ok' : 'failing', agent: this.agent.name, ...status, ...(reason ? { reason } : {}) }));
    } else if (url === '/tap') {
      this.tap(req, res);
    } else if (url === '/') {
      send(res, 200, 'text/html', '<a href="/metrics">metrics</a> <a href="/metrics/prometheus">prometheus</a> <a href="/health">health</a>');
    } else {
      send(res, 404, 'text/plain', 'not found: try /metrics, /metrics/prometheus or /health\n');
    }
  }

  private tap(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.options.tap) {
      send(res, 404, 'text/plain', 'tap is off on this agent: set monitoring: { http: { tap: true } } in the topology and restart the agent\n');
      return;
    }
    const request = resolveTapRequest(new URL(req.url ?? '/', 'http://localhost').searchParams, this.agent);
    if ('error' in request) {
      send(res, request.status, 'text/plain', `${request.error}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.write(`${JSON.stringify({ type: 'tap', agent: this.agent.name, taps: request.points.map((p) => ({ component: p.component, point: p.kind })), rate: request.rate, limit: request.limit })}\n`);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const subscription = new TapSubscription(res, { rate: request.rate, limit: request.limit, maxBodyBytes: request.maxBodyBytes, onEnd: () => {
      this.subscriptions.delete(subscription);
      this.logger.info({ taps: request.points.map((p) => `${p.component}:${p.kind}`) }, 'tap detached');
    } });
    this.subscriptions.add(subscription);
    for (const point of request.points) subscription.attach(point);
    res.once('close', () => subscription.close());
    this.logger.info({ taps: request.points.map((p) => `${p.component}:${p.kind}`), rate: request.rate, limit: request.limit }, 'tap attached');
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}
