import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import {
  ByteBudget, defineComponent, errorCode, isRetriable, parseDuration, parseSize, DURATION_PATTERN, SIZE_PATTERN, SluiceError,
  type EventDrivenSource, type SourceContext, listenTcp, type TcpListening,
  loadServerTls, reloadServerTls, serverTlsProblems, serverTlsSchema, throwConfigProblems, type ServerTlsConfig, type TlsReloadable, type TlsReloadOutcome,
} from '@sluice/core';

const SERVER_TLS_SCHEMA = serverTlsSchema('TLS (HTTPS): PEM files for the server certificate and key, and optionally a CA to check client certificates.');
import { decodeContent } from './content-encoding.js';
import { HttpStatusError } from './http-status-error.js';
import { HANDLERS, type HandlerName, type RequestHandler } from './request-handlers.js';
import { itemCounter, type ItemCounter } from './streaming-item-count.js';

/** Config of the `http` source. */
export interface HttpSourceConfig {
  bind: string;
  port: number;
  handler: HandlerName;
  maxBodySize: string;
  maxEventsPerRequest: number;
  maxPendingBytes: string;
  maxConnections: number;
  authToken: string;
  keepAliveTimeout: string;
  headersTimeout: string;
  requestTimeout: string;
  tls: ServerTlsConfig;
}

/** Over-limit bodies are read and discarded (so the client sees the 413) up to this many times the limit. */
const DISCARD_FACTOR = 4;

/**
 * An HTTP(S) server taking batches of events, compatible with Flume's HTTPSource and JSONHandler.
 * One request is one transaction: it is answered 200 only after every required channel committed
 * all its events, 503 (with Retry-After) when a channel is full and nothing of it was kept, 400
 * for a body the handler cannot read, 422 when the pipeline refuses its events for what they hold
 * (SLUICE_EVENT_REJECTED, from an interceptor or selector), 413 for a body over maxBodySize (or more events than
 * maxEventsPerRequest or the channel's transactionCapacity), 401 without the configured bearer
 * token, 405 for non-POST. Bodies may be gzip- or deflate-compressed (`Content-Encoding`);
 * maxBodySize bounds both the compressed and the inflated size.
 *
 * Bounded by design: events are counted before any is built; the bytes read and not yet committed
 * across all connections stay under maxPendingBytes (503 past it); connections are capped at
 * maxConnections; a request must send its headers within headersTimeout and be complete within
 * requestTimeout (408 and close), so slow or endless clients cannot hold memory or sockets.
 */
export class HttpSource implements EventDrivenSource, TlsReloadable {
  readonly name: string;
  private server: http.Server | undefined;
  private listening: TcpListening | undefined;
  private readonly handler: RequestHandler;
  private readonly maxBody: number;
  private readonly token: Buffer | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Body bytes read (raw, then inflated) by requests not yet answered (maxPendingBytes), under the agent's budget. */
  private readonly pending: ByteBudget;

  constructor(private readonly config: HttpSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    throwConfigProblems(serverTlsProblems(config.tls), `http source '${ctx.name}'`);
    this.handler = HANDLERS[config.handler];
    this.maxBody = parseSize(config.maxBodySize);
    this.pending = new ByteBudget(parseSize(config.maxPendingBytes), ctx.inputBudget);
    this.token = config.authToken === '' ? undefined : Buffer.from(`Bearer ${config.authToken}`);
    ctx.metrics.gauge('OpenConnectionCount', () => this.sockets.size);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.listening?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { config } = this;
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => this.track(this.handle(req, res));
    // Node checks headersTimeout and requestTimeout on this interval (30 s by default).
    const connectionsCheckingInterval = Math.max(100, Math.min(1000, parseDuration(config.headersTimeout) / 2, parseDuration(config.requestTimeout) / 2));
    const server = config.tls.enabled
      ? https.createServer({ ...await loadServerTls(config.tls, `http source '${this.name}'`), connectionsCheckingInterval }, listener)
      : http.createServer({ connectionsCheckingInterval }, listener);
    server.keepAliveTimeout = parseDuration(config.keepAliveTimeout);
    server.headersTimeout = parseDuration(config.headersTimeout);
    server.requestTimeout = parseDuration(config.requestTimeout);
    server.maxConnections = config.maxConnections;
    server.on('checkContinue', (req, res) => this.track(this.handle(req, res, true)));
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('tlsClientError', (err) => {
      this.ctx.logger.warn({ err: err.message }, 'HTTPS client refused during the TLS handshake');
      this.ctx.telemetry.emit('component.error', this.name, 0, 0, new SluiceError('SLUICE_PROTOCOL', `http source '${this.name}': TLS client refused: ${err.message}`, { cause: err }));
    });
    this.listening = await listenTcp(server, config.port, config.bind).catch((err: Error) => {
      throw new SluiceError('SLUICE_COMPONENT_START', `http source '${this.name}' cannot listen on ${config.bind}:${config.port}: ${err.message}`, { cause: err });
    });
    server.on('error', (err) => this.ctx.logger.error({ err }, 'http source server error'));
    this.server = server;
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ bind: config.bind, port: this.port, tls: config.tls.enabled, handler: config.handler }, 'http source listening');
    if (this.token === undefined && !isLoopback(config.bind)) {
      this.ctx.logger.warn({ bind: config.bind, port: this.port }, 'http source listens beyond this host without authToken: anyone who reaches the port can send events; set authToken (and tls)');
    }
  }

  /** Re-reads tls.cert, key and ca for new connections (SIGHUP); a bad file keeps the old ones. */
  reloadTls(): Promise<TlsReloadOutcome> {
    const servers = this.config.tls.enabled && this.server ? [this.server as https.Server] : [];
    return reloadServerTls(servers, () => loadServerTls(this.config.tls, `http source '${this.name}'`), this.ctx.logger, `http source '${this.name}'`);
  }

  async stop(): Promise<void> {
    const { server, listening } = this;
    if (!server || !listening) return;
    this.server = undefined;
    this.listening = undefined;
    const closed = listening.close();
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
    // Bytes of this request counted in the pending budget, given back once it is answered.
    const held = { bytes: 0 };
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
      const query = queryOf(req.url);
      if (expectsContinue) res.writeContinue();
      const countItems = itemCounter(this.config.handler, req.headers['content-type'], req.headers['content-encoding'], this.config.maxEventsPerRequest);
      const raw = await this.readBody(req, res, held, countItems);
      const body = await decodeContent(raw, req.headers['content-encoding'], this.maxBody);
      if (body !== raw) this.hold(held, body.length);
      // Bytes counted as they came need no second count by the handler (it could only count as many or fewer).
      const maxEvents = countItems ? undefined : this.config.maxEventsPerRequest;
      const events = await this.handler({ body, contentType: req.headers['content-type'], query, maxEvents });
      if (events.length > 0) await this.ctx.deliver(events);
      this.reply(res, 200, { accepted: events.length });
    } catch (error) {
      // readBody answers a body over a limit at once; the rejection that follows is already told.
      if (!res.headersSent) this.refuse(req, res, error);
    } finally {
      this.pending.release(held.bytes);
    }
  }

  /** Counts `bytes` more for one request against maxPendingBytes (shared by all connections); 503 past it. */
  private hold(held: { bytes: number }, bytes: number): void {
    if (!this.pending.reserve(bytes)) {
      const whose = this.pending.wouldOverflow(bytes) === 'own' ? `the source holds ${this.pending.used} bytes of requests not yet committed (its maxPendingBytes ${this.pending.limit})` : 'the agent\'s sources together hold the agent\'s maxPendingBytes of input not yet committed';
      throw new HttpStatusError(503, 'BUSY', `${whose}; retry later`);
    }
    held.bytes += bytes;
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined) return false;
    const given = Buffer.from(header);
    return given.length === this.token!.length && timingSafeEqual(given, this.token!);
  }

  /**
   * Reads the whole body, counting it against maxPendingBytes (and its events with `countItems`,
   * when the body's bytes can be counted as they come) as it arrives. Past maxBodySize the
   * 413 is answered at once (with Connection: close) and the rest is read and discarded up to
   * DISCARD_FACTOR times the limit, so a client that reads only after sending still sees it; an
   * endless body is cut there.
   */
  private readBody(req: http.IncomingMessage, res: http.ServerResponse, held: { bytes: number }, countItems: ItemCounter | undefined): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      const fail = (error: HttpStatusError): void => {
        if (failed) return;
        failed = true;
        // Answered now, while the client may still be sending; the connection stays open until the
        // body ends (or DISCARD_FACTOR times the limit), so the client can read the answer.
        this.refuse(req, res, error);
        reject(error);
      };
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (failed) {
          if (size > this.maxBody * DISCARD_FACTOR) req.destroy();
          return;
        }
        if (size > this.maxBody) {
          chunks.length = 0;
          fail(new HttpStatusError(413, 'BODY_TOO_LARGE', `the body is over the limit (maxBodySize) of ${this.maxBody} bytes`));
          return;
        }
        try {
          this.hold(held, chunk.length);
          countItems?.(chunk);
        } catch (error) {
          chunks.length = 0;
          fail(error as HttpStatusError);
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      });
      req.on('error', (error) => {
        if (!failed) reject(error);
        failed = true;
      });
      req.on('close', () => {
        if (!req.complete && !failed) {
          failed = true;
          reject(new HttpStatusError(400, 'ABORTED', 'the client closed the connection before the body was complete'));
        }
      });
    });
  }

  private refuse(req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void {
    let status: number;
    let code: string;
    if (error instanceof HttpStatusError) {
      status = error.status;
      code = error.code;
      if (status === 503) res.setHeader('Retry-After', '1');
      if (status === 400 || status === 413 || status === 415) {
        this.ctx.metrics.inc('EventReadFail');
        this.ctx.telemetry.emit('component.error', this.name, 0, 0, new SluiceError('SLUICE_PROTOCOL', `http source '${this.name}': ${status} ${error.code}: ${error.message}`, { cause: error }));
      }
    } else if (errorCode(error) === 'SLUICE_TX_CAPACITY') {
      status = 413;
      code = 'SLUICE_TX_CAPACITY';
    } else if (errorCode(error) === 'SLUICE_EVENT_REJECTED') {
      // The pipeline refused the events for what they hold (an interceptor, a selector): resending
      // them unchanged cannot help, and it is not the server failing.
      status = 422;
      code = 'SLUICE_EVENT_REJECTED';
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

/**
 * The query of a request target; a target that is not a URL path is the client's mistake (400):
 * neither origin-form (`/path?query`) nor absolute-form (`http://host/path`), a `%` not followed by
 * two hex digits (RFC 3986), or what the URL parser refuses.
 */
export function queryOf(target: string | undefined): URLSearchParams {
  try {
    if (target !== undefined && (!/^(\/|https?:\/\/)/i.test(target) || /%(?![0-9a-f]{2})/i.test(target))) throw new TypeError('not a URL path');
    return new URL(target ?? '/', 'http://localhost').searchParams;
  } catch {
    throw new HttpStatusError(400, 'BAD_REQUEST', `the request target '${String(target).slice(0, 100)}' is not a URL path`);
  }
}

/** True for addresses only this host can reach. */
function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\./.test(address);
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
      bind: { type: 'string', default: '127.0.0.1', description: 'Address to listen on (Flume `bind`); 0.0.0.0 for every interface, which without authToken logs a warning at start.' },
      port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Port to listen on (0 picks a free port, logged at start).' },
      handler: { type: 'string', enum: ['json', 'ndjson', 'blob'], default: 'json', description: '`json`: Flume JSONHandler array of {headers, body}; `ndjson`: one {headers, body} object per line; `blob`: the whole body is one event, query parameters become headers.' },
      maxBodySize: { type: 'string', pattern: SIZE_PATTERN, default: '16MiB', description: 'Largest request body (also once inflated); larger ones are answered 413 as soon as the limit is passed.' },
      maxEventsPerRequest: { type: 'integer', minimum: 1, default: 10000, description: 'Most events in one request, counted before any is built; more are answered 413.' },
      maxPendingBytes: { type: 'string', pattern: SIZE_PATTERN, default: '64MiB', description: 'Most body bytes held by requests not yet answered, over all connections; past it (or past the agent\'s maxPendingBytes, shared by all sources) requests are answered 503 with Retry-After. 0: no limit of its own.' },
      maxConnections: { type: 'integer', minimum: 1, default: 1000, description: 'Most open connections; further ones are closed at once.' },
      authToken: { type: 'string', default: '', description: 'When set, requests need `Authorization: Bearer <authToken>` (401 otherwise). Use ${ENV} substitution to keep it out of the file.' },
      keepAliveTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'How long an idle keep-alive connection stays open.' },
      headersTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '10s', description: 'How long a client has to send the request headers (408 and close after).' },
      requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long a client has to send the whole request, body included (408 and close after): a Content-Length never reached does not hold a connection forever.' },
      tls: SERVER_TLS_SCHEMA,
    },
    required: ['bind', 'port', 'handler', 'maxBodySize', 'maxEventsPerRequest', 'maxPendingBytes', 'maxConnections', 'authToken', 'keepAliveTimeout', 'headersTimeout', 'requestTimeout', 'tls'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `tcp:${config.port}`, key: 'port' }]),
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'handler') {
        const handler = value.trim();
        if (/^(org\.apache\.flume\.source\.http\.)?JSONHandler$/i.test(handler)) config.handler = 'json';
        else if (/^(org\.apache\.flume\.(source\.http|sink\.solr\.morphline)\.)?BLOBHandler$/i.test(handler)) config.handler = 'blob';
        else flume?.refuse(key, `${handler} is a Java HTTP handler Sluice cannot load`, 'use org.apache.flume.source.http.JSONHandler or BLOBHandler, or port the handler as an npm plugin (`sluice new plugin`)');
      } else if (key.startsWith('handler.')) flume?.warn(key, 'configures a Java handler; Sluice\'s json and blob handlers take no handler.* options');
      else if (key === 'ssl' || key === 'enableSSL') {
        if (value.trim() === 'true') flume?.refuse(key, 'turns on TLS with a Java key store; Sluice\'s http source TLS reads PEM files', 'convert the key store to PEM and set tls in a YAML topology (sluice migrate writes one)');
      } else if (/^(keystore|keystore-password|keystore-type|keystorePassword|keystoreType|exclude-protocols|include-protocols|exclude-cipher-suites|include-cipher-suites)$/.test(key)) flume?.warn(key, 'configures Java TLS; Sluice\'s TLS reads PEM files and uses Node\'s protocol defaults');
      else if (/^(QueuedThreadPool|ServerConnector|HttpConfiguration|SslContextFactory)\./.test(key)) flume?.warn(key, 'tunes Flume\'s embedded Jetty server; Sluice\'s Node HTTP server has no equivalent and ignores it');
      else config[key.replace(/[-.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
    }
    return config;
  },
  check: (config) => serverTlsProblems(config.tls),
  create: (config, ctx) => new HttpSource(config, ctx),
});
