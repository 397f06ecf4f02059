import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  BatchSink, defineComponent, parseDuration, DURATION_PATTERN, SluiceError, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { encodeBatch, type BatchFormat } from './batch-encoder.js';

const gzip = promisify(zlib.gzip);

/** Config of the `http` sink. */
export interface HttpSinkConfig {
  endpoint: string;
  format: BatchFormat | 'body';
  contentType: string;
  compression: 'none' | 'gzip';
  headers: Record<string, string>;
  authToken: string;
  ca: string;
  connectTimeout: string;
  requestTimeout: string;
  batchSize: number;
}

/** Statuses that say "try again later" rather than "this batch is wrong". */
const RETRIABLE_4XX = new Set([401, 403, 407, 408, 425, 429]);

/**
 * POSTs each batch taken from the channel as one request, in Flume's JSON shape (an array of
 * `{headers, body}`) or as ndjson, so a Sluice (or Flume) HTTP source can receive it; or, with
 * format `body`, each event's raw body as its own request like Flume's HttpSink (a failure then
 * rolls the whole batch back, so earlier events of it are sent again). Connections are kept alive.
 *
 * Outcome per batch: 2xx commits it. 5xx, 408, 429, 401/403/407 (credentials can be fixed),
 * connection errors and timeouts reject with retriable SLUICE_DELIVERY_FAILED: the batch rolls
 * back and the runner backs off. Any other status (400, 404, 413, ...) rejects with non-retriable
 * SLUICE_EVENT_REJECTED, which goes to the dead-letter channel when one is configured.
 */
export class HttpSink extends BatchSink {
  private readonly url: URL;
  private agent: http.Agent | undefined;
  private readonly connectMs: number;
  private readonly requestMs: number;
  private readonly baseHeaders: Record<string, string>;

  constructor(private readonly config: HttpSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.url = new URL(config.endpoint);
    this.connectMs = parseDuration(config.connectTimeout);
    this.requestMs = parseDuration(config.requestTimeout);
    const contentType = config.contentType !== '' ? config.contentType
      : config.format === 'json' ? 'application/json; charset=utf-8' : config.format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'text/plain';
    this.baseHeaders = { ...config.headers, 'Content-Type': contentType };
    if (config.compression === 'gzip') this.baseHeaders['Content-Encoding'] = 'gzip';
    if (config.authToken !== '') this.baseHeaders.Authorization = `Bearer ${config.authToken}`;
  }

  protected override async onStart(): Promise<void> {
    const secure = this.url.protocol === 'https:';
    const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: 1 };
    if (secure && this.config.ca !== '') {
      try {
        agentOptions.ca = await readFile(path.resolve(this.config.ca));
      } catch (error) {
        throw new SluiceError('SLUICE_COMPONENT_START', `http sink '${this.name}': cannot read the ca file '${this.config.ca}': ${(error as Error).message}`, { cause: error });
      }
    }
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  protected override async onStop(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    const { format } = this.config;
    if (format !== 'body') {
      await this.send(encodeBatch(events, format), events.length);
      return;
    }
    // Flume's HttpSink: each body as it is, one request per event, in order.
    for (let i = 0; i < events.length; i++) await this.send(events[i]!.body, 1);
  }

  /** POSTs one request and turns a non-2xx answer into the documented error. */
  private async send(body: Buffer, count: number): Promise<void> {
    const payload = this.config.compression === 'gzip' ? await gzip(body, { level: 6 }) : body;
    let answer: { status: number; text: string };
    try {
      answer = await this.post(payload);
    } catch (error) {
      // A kept-alive connection the server closed while idle fails at once, before any answer.
      // Resend once on a fresh connection instead of backing off; in the rare case the server
      // did read the request, this is a duplicate, which at-least-once allows.
      if (!(error instanceof SluiceError && error.details?.staleConnection === true)) throw error;
      answer = await this.post(payload);
    }
    const { status, text } = answer;
    if (status >= 200 && status < 300) return;
    const what = `${this.url.origin}${this.url.pathname} answered ${status} to a request of ${count} event(s): ${text.slice(0, 300)}`;
    if (status >= 500 || RETRIABLE_4XX.has(status)) {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `http sink '${this.name}': ${what}; the batch was rolled back and will be retried`, { details: { status } });
    }
    throw new SluiceError('SLUICE_EVENT_REJECTED', `http sink '${this.name}': ${what}; retrying the same batch will not help (configure deadLetter to set it aside)`, { details: { status } });
  }

  private post(body: Buffer): Promise<{ status: number; text: string }> {
    const { metrics } = this.ctx;
    return new Promise((resolve, reject) => {
      let settled = false;
      let gotResponse = false;
      const fail = (reason: string, cause?: unknown, staleConnection = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(requestTimer);
        req.destroy();
        reject(new SluiceError('SLUICE_DELIVERY_FAILED', `http sink '${this.name}': POST ${this.url.origin}${this.url.pathname} failed: ${reason}; the batch was rolled back and will be retried`, { cause, details: { staleConnection } }));
      };
      const req = (this.url.protocol === 'https:' ? https : http).request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...this.baseHeaders, 'Content-Length': String(body.length) },
      });
      const requestTimer = setTimeout(() => fail(`no complete response within requestTimeout ${this.config.requestTimeout}`), this.requestMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        metrics.counters.ConnectionCreatedCount! += 1;
        const connectTimer = setTimeout(() => fail(`not connected within connectTimeout ${this.config.connectTimeout}`), this.connectMs);
        socket.once(this.url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
        socket.once('close', () => {
          clearTimeout(connectTimer);
          metrics.counters.ConnectionClosedCount! += 1;
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (!settled) metrics.counters.ConnectionFailedCount! += 1;
        const stale = req.reusedSocket && !gotResponse && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        fail(error.message, error, stale);
      });
      req.on('response', (res) => {
        gotResponse = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < 4096) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('error', (error) => fail(error.message, error));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(requestTimer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(body);
    });
  }
}

/** The `http` sink type: schema, Flume HttpSink key translation and factory. */
export const httpSink = defineComponent<'sink', HttpSinkConfig>({
  kind: 'sink',
  type: 'http',
  description: 'POSTs batches to an HTTP(S) endpoint as Flume JSON arrays or ndjson; chains to another agent\'s http source.',
  guarantee: 'At-least-once: a batch leaves the channel only after a 2xx answer. A timeout after the server committed causes a duplicate on retry. Non-2xx answers other than retriable ones reject the batch (SLUICE_EVENT_REJECTED), for the dead-letter path.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      endpoint: { type: 'string', pattern: '^https?://', description: 'URL to POST to, e.g. http://collector:8080/ (Flume `endpoint`).' },
      format: { type: 'string', enum: ['json', 'ndjson', 'body'], default: 'json', description: '`json`: one Flume JSON array of {headers, body} per batch; `ndjson`: one such object per line (bodies sent as UTF-8 text); `body`: each event body as is, one request per event, like Flume\'s HttpSink (the default for Flume .properties files).' },
      contentType: { type: 'string', default: '', description: 'Content-Type of the requests; empty picks application/json, application/x-ndjson or text/plain by format (Flume contentTypeHeader).' },
      compression: { type: 'string', enum: ['none', 'gzip'], default: 'none', description: '`gzip` compresses each request body (Content-Encoding: gzip); the http source inflates it.' },
      headers: { type: 'object', additionalProperties: { type: 'string' }, required: [], default: {}, description: 'Extra HTTP request headers, e.g. { X-Tenant: a }.' },
      authToken: { type: 'string', default: '', description: 'When set, sends `Authorization: Bearer <authToken>`.' },
      ca: { type: 'string', default: '', description: 'PEM file of CA certificates to trust for an https endpoint (default: the system CAs).' },
      connectTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'How long to wait for the connection (Flume connectTimeout).' },
      requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '10s', description: 'How long to wait for the complete answer to one batch (Flume requestTimeout).' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Most events per request.' },
    },
    required: ['endpoint', 'format', 'contentType', 'compression', 'headers', 'authToken', 'ca', 'connectTimeout', 'requestTimeout', 'batchSize'],
  },
  check(config) {
    try {
      new URL(config.endpoint);
      return [];
    } catch {
      return [{ path: '/endpoint', message: `endpoint '${config.endpoint}' is not a URL`, hint: 'write it like http://collector:8080/ or https://[::1]:8443/ingest' }];
    }
  },
  fromFlume(properties, flume) {
    // Flume's HttpSink posts one raw body per transaction of one event.
    const config: Record<string, unknown> = { format: 'body', batchSize: 1 };
    for (const [key, value] of Object.entries(properties)) {
      if (/^(defaultBackoff|defaultRollback|defaultIncrementMetrics)$/.test(key) || /^(backoff|rollback|incrementMetrics)\.[0-9X]{3}$/i.test(key)) {
        flume?.warn(key, 'tunes Flume\'s HttpSink per HTTP status; Sluice\'s http sink has one rule (see docs/components.md, http sink): it retries what may succeed later and never drops a batch silently');
        continue;
      }
      if (key === 'connectTimeout' || key === 'requestTimeout') config[key] = `${value}ms`;
      else if (key === 'contentTypeHeader') config.contentType = value;
      else if (key === 'acceptHeader') config.headers = { ...(config.headers as object | undefined), Accept: value };
      else config[key.replace(/[-.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
    }
    return config;
  },
  create: (config, ctx) => new HttpSink(config, ctx),
});
