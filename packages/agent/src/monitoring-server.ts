import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '@sluice/core';
import type { Agent } from './agent.js';
import { renderFlumeJson } from './flume-json.js';
import { renderPrometheus } from './prometheus-text.js';

/** Options for {@link MonitoringServer}. */
export interface MonitoringServerOptions {
  /** Port to listen on; 0 picks a free one (see `port` after `start`). */
  port: number;
  host?: string;
  logger?: Logger;
}

/**
 * The agent's monitoring HTTP server (`monitoring.http` in the topology), started by the CLI after
 * the agent. Routes:
 * - `GET /metrics`: Flume's JSON shape (`{"SOURCE.r1": {"EventReceivedCount": "10", ...}}`).
 * - `GET /metrics/prometheus`: Prometheus text format, `sluice_<counter>{agent,component,kind}`.
 * - `GET /health`: 200 `{"status":"ok"}` while the agent runs and every component started,
 *   503 with the state and the failing components otherwise.
 * It reads `agent.metrics` on each request, so components restarted by a reload show up at once.
 */
export class MonitoringServer {
  private readonly server: http.Server;
  private readonly logger: Logger;

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
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(req.method === 'TRACE' || req.method === 'OPTIONS' ? 403 : 405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      send(res, 200, 'application/json', JSON.stringify(renderFlumeJson(this.agent.metrics)));
    } else if (url === '/metrics/prometheus') {
      send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderPrometheus(this.agent.name, this.agent.metrics));
    } else if (url === '/health') {
      const status = this.agent.status;
      const healthy = this.agent.healthy;
      const reason = healthy ? undefined : status.reason ?? (status.components ? `components failed to start: ${Object.keys(status.components).join(', ')}` : `agent is ${status.state}`);
      send(res, healthy ? 200 : 503, 'application/json', JSON.stringify({ status: healthy ? 'ok' : 'failing', agent: this.agent.name, ...status, ...(reason ? { reason } : {}) }));
    } else if (url === '/') {
      send(res, 200, 'text/html', '<a href="/metrics">metrics</a> <a href="/metrics/prometheus">prometheus</a> <a href="/health">health</a>');
    } else {
      send(res, 404, 'text/plain', 'not found: try /metrics, /metrics/prometheus or /health\n');
    }
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}
