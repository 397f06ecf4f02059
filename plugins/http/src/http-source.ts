import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import {
  defineComponent, errorCode, isRetriable, parseDuration, parseSize, DURATION_PATTERN, SIZE_PATTERN, SluiceError,
  type EventDrivenSource, type SourceContext,
  loadServerTls, serverTlsProblems, serverTlsSchema, throwConfigProblems, type ServerTlsConfig,
} from '@sluice/core';

const SERVER_TLS_SCHEMA = serverTlsSchema('TLS (HTTPS): PEM files for the server certificate and key, and optionally a CA to check client certificates.');
import { decodeContent } from './content-encoding.js';
import { HttpStatusError } from './http-status-error.js';
import { HANDLERS, type HandlerName, type RequestHandler } from './request-handlers.js';

/** Config of the `http` source. */
export interface HttpSourceConfig {
  bind: string;
  port: number;
  handler: HandlerName;
  maxBodySize: string;
  authToken: string;
  keepAliveTimeout: string;
  tls: ServerTlsConfig;
}

/** Over-limit bodies are read and discarded (so the client sees the 413) up to this many times the limit. */
const DISCARD_FACTOR = 4;

/**
 * An HTTP(S) server taking batches of events, compatible with Flume's HTTPSource and JSONHandler.
 * One request is one transaction: it is answered 200 only after every required channel committed
 * all its events, 503 (with Retry-After) when a channel is full and nothing of it was kept, 400
 * for a body the handler cannot read, 413 for a body over maxBodySize (or more events than the
 * channel's transactionCapacity), 401 without the configured bearer token, 405 for non-POST.
 * Bodies may be gzip- or deflate-compressed (`Content-Encoding`); maxBodySize bounds both the
 * compressed and the inflated size.
 */
export class HttpSource implements EventDrivenSource {
  readonly name: string;
  private server: http.Server | undefined;
  private readonly handler: RequestHandler;
  private readonly maxBody: number;
  private readonly token: Buffer | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly config: HttpSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    throwConfigProblems(serverTlsProblems(config.tls), `http source '${ctx.name}'`);
    this.handler = HANDLERS[config.handler];
    this.maxBody = parseSize(config.maxBodySize);
    this.token = config.authToken === '' ? undefined : Buffer.from(`Bearer ${config.authToken}`);
    ctx.metrics.gauge('OpenConnectionCount', () => this.sockets.size);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { config } = this;
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => this.track(this.handle(req, res));
    const server = config.tls.enabled
      ? https.createServer(await loadServerTls(config.tls, `http source '${this.name}'`), listener)
      : http.createServer(listener);
    server.keepAliveTimeout = parseDuration(config.keepAliveTimeout);
    server.on('checkContinue', (req, res) => this.track(this.handle(req, res, true)));
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('tlsClientError', (err) => {
      this.ctx.logger.warn({ err: err.message }, 'HTTPS client refused during the TLS handshake');
      this.ctx.telemetry.emit('component.error', this.name, 0, 0, new SluiceError('SLUICE_PROTOCOL', `http source '${this.name}': TLS client refused: ${err.message}`, { cause: err }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new SluiceError('SLUICE_COMPONENT_START', `http source '${this.name}' cannot listen on ${config.bind}:${config.port}: ${err.message}`, { cause: err })));
      server.listen(config.port, config.bind, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    server.on('error', (err) => this.ctx.logger.error({ err }, 'http source server error'));
    this.server = server;
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ bind: config.bind, port: this.port, tls: config.tls.enabled, handler: config.handler }, 'http source listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.allSettled([...this.inFlight]);
    server.closeAllConnections();
    await closed;
    this.ctx.metrics.stopTime = Date.now();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue = false): Promise<void> {
    try {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        throw new HttpStatusError(405, 'METHOD_NOT_ALLOWED', `use POST to send events, not ${req.method}`);
      }
      if (this.token && !this.authorized(req.headers.authorization)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="sluice"');
        throw new HttpStatusError(401, 'UNAUTHORIZED', 'a valid "Authorization: Bearer <token>" header is required');
      }
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (declared > this.maxBody && (expectsContinue || declared > this.maxBody * DISCARD_FACTOR)) {
        res.setHeader('Connection', 'close');
        throw new HttpStatusError(413, 'BODY_TOO_LARGE', `the body is ${declared} bytes; the limit (maxBodySize) is ${this.maxBody}`);
      }
      if (expectsContinue) res.writeContinue();
      const body = await decodeContent(await this.readBody(req), req.headers['content-encoding'], this.maxBody);
      const events = this.handler({ body, contentType: req.headers['content-type'], query: new URL(req.url ?? '/', 'http://x').searchParams });
      if (events.length > 0) await this.ctx.deliver(events);
      this.reply(res, 200, { accepted: events.length });
    } catch (error) {
      this.refuse(req, res, error);
    }
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined) return false;
    const given = Buffer.from(header);
    return given.length === this.token!.length && timingSafeEqual(given, this.token!);
  }

  /** Reads the whole body; past maxBodySize it keeps reading (discarding) so the 413 reaches the client. */
  private readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= this.maxBody) chunks.push(chunk);
        else if (size > this.maxBody * DISCARD_FACTOR) req.destroy();
      });
      req.on('end', () => {
        if (size > this.maxBody) reject(new HttpStatusError(413, 'BODY_TOO_LARGE', `the body is over the limit (maxBodySize) of ${this.maxBody} bytes`));
        else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      });
      req.on('error', reject);
      req.on('close', () => {
        if (!req.complete) reject(new HttpStatusError(400, 'ABORTED', 'the client closed the connection before the body was complete'));
      });
    });
  }

  private refuse(req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void {
    let status: number;
    let code: string;
    if (error instanceof HttpStatusError) {
      status = error.status;
      code = error.code;
      if (status === 400 || status === 413 || status === 415) {
        this.ctx.metrics.inc('EventReadFail');
        this.ctx.telemetry.emit('component.error', this.name, 0, 0, new SluiceError('SLUICE_PROTOCOL', `http source '${this.name}': ${status} ${error.code}: ${error.message}`, { cause: error }));
      }
    } else if (errorCode(error) === 'SLUICE_TX_CAPACITY') {
      status = 413;
      code = 'SLUICE_TX_CAPACITY';
    } else if (errorCode(error) !== undefined && isRetriable(error)) {
      status = 503;
      code = errorCode(error) ?? 'UNAVAILABLE';
      res.setHeader('Retry-After', '1');
    } else {
      status = 500;
      code = errorCode(error) ?? 'INTERNAL';
      this.ctx.logger.error({ err: error }, 'http source could not handle a request');
      const reported = errorCode(error) === undefined ? new SluiceError('SLUICE_DELIVERY_FAILED', `http source '${this.name}': ${(error as Error).message}`, { cause: error, retriable: false }) : error;
      this.ctx.telemetry.emit('component.error', this.name, 0, 0, reported);
    }
    this.ctx.logger.debug({ status, code, url: req.url, remote: req.socket.remoteAddress }, 'http request refused');
    this.reply(res, status, { error: code, message: (error as Error).message });
  }

  private reply(res: http.ServerResponse, status: number, body: object): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** The `http` source type: schema, Flume key translation (handler class names) and factory. */
export const httpSource = defineComponent<'source', HttpSourceConfig>({
  kind: 'source',
  type: 'http',
  description: 'HTTP(S) server taking event batches: Flume JSONHandler arrays, ndjson or raw blobs; one request is one transaction, like Flume\'s HTTPSource.',
  guarantee: 'At-least-once for clients that resend on non-200: 200 is answered only after every required channel committed the whole request; on 503 nothing of the request was committed to the failing channel.',
  // Every worker process can run it (a listening socket the workers share, or a consumer group).
  capabilities: { shardable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bind: { type: 'string', default: '0.0.0.0', description: 'Address to listen on (Flume `bind`).' },
      port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Port to listen on (0 picks a free port, logged at start).' },
      handler: { type: 'string', enum: ['json', 'ndjson', 'blob'], default: 'json', description: '`json`: Flume JSONHandler array of {headers, body}; `ndjson`: one {headers, body} object per line; `blob`: the whole body is one event, query parameters become headers.' },
      maxBodySize: { type: 'string', pattern: SIZE_PATTERN, default: '16MiB', description: 'Largest request body; larger ones are answered 413.' },
      authToken: { type: 'string', default: '', description: 'When set, requests need `Authorization: Bearer <authToken>` (401 otherwise). Use ${ENV} substitution to keep it out of the file.' },
      keepAliveTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'How long an idle keep-alive connection stays open.' },
      tls: SERVER_TLS_SCHEMA,
    },
    required: ['bind', 'port', 'handler', 'maxBodySize', 'authToken', 'keepAliveTimeout', 'tls'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `tcp:${config.port}`, key: 'port' }]),
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'handler') config.handler = /BLOBHandler$/i.test(value) ? 'blob' : /JSONHandler$/i.test(value) ? 'json' : value;
      else config[key.replace(/[-.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
    }
    return config;
  },
  check: (config) => serverTlsProblems(config.tls),
  create: (config, ctx) => new HttpSource(config, ctx),
});
