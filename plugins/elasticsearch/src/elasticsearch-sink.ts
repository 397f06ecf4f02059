import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import {
  BatchSink, errorCode, parseDuration, setAsideRejected, SluiceError, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { eventDocument, type DocumentFormat } from './document-formats.js';
import { IndexNamer, type IndexNameBuilderName } from './index-namer.js';

/** Config of the `elasticsearch` sink (see elasticsearch-sink-definition.ts for every default). */
export interface ElasticsearchSinkConfig {
  hostNames: string[];
  indexName: string;
  indexNameBuilder: IndexNameBuilderName;
  dateFormat: string;
  timeZone: string;
  serializer: DocumentFormat;
  idHeader: string;
  batchSize: number;
  username: string;
  password: string;
  apiKey: string;
  ca: string;
  connectTimeout: string;
  requestTimeout: string;
  itemRetries: number;
  retryBackoff: string;
}

/** One event of a batch on its way into a bulk request. */
interface BulkItem {
  event: SluiceEvent;
  /** The action and source lines, newline-terminated; absent once the item is rejected. */
  lines?: string;
  /** Why the item can never be indexed (its content is at fault). */
  rejection?: SluiceError;
  done: boolean;
}

/** Per-item outcome of a bulk answer. */
interface ItemAnswer { status: number; type?: string; reason?: string }

/** Whole-request statuses that say "try again" (other hosts first) rather than "this request is wrong". */
const RETRIABLE_STATUS = (status: number): boolean => status >= 500 || status === 429 || status === 408 || status === 401 || status === 403;

/**
 * Indexes each batch with one Elasticsearch/OpenSearch `_bulk` request (Flume's ElasticSearchSink
 * with its REST client, for current servers: no mapping types, no TTL).
 *
 * Item outcomes: 2xx is indexed; with `idHeader`, items are sent as `create` with that `_id`, so a
 * 409 (already there) counts as indexed and a resend after a crash cannot duplicate. 429 and 5xx
 * items are resent alone, up to `itemRetries` times with a doubling backoff inside the same
 * `process()` call; if some still fail, the batch rolls back (retriable SLUICE_DELIVERY_FAILED)
 * and the sink remembers which of its events are already indexed, so the same batch, taken again,
 * sends only the rest. Any other item status (a mapping conflict, a bad index name) and events
 * whose content cannot make a document (a `timestamp` header that is not a number) are rejected:
 * moved to the dead-letter channel when one is configured, otherwise dropped with a warning and
 * counted as EventRejectedCount; the rest of the batch moves on.
 *
 * Whole-request outcomes: connection errors, timeouts, 5xx, 429, 408, 401 and 403 try the next
 * host, then reject with retriable SLUICE_DELIVERY_FAILED; any other status (400, 404, 413)
 * rejects with SLUICE_EVENT_REJECTED for BatchSink's dead-letter policy.
 */
export class ElasticsearchSink extends BatchSink {
  private readonly hosts: URL[];
  private next = 0;
  private agents = new Map<string, http.Agent>();
  private readonly namer: IndexNamer;
  private readonly connectMs: number;
  private readonly requestMs: number;
  private readonly backoffMs: number;
  private readonly headers: Record<string, string> = { 'Content-Type': 'application/x-ndjson' };
  /** The events of a batch that rolled back after some of them were indexed, and which those were. */
  private resume: { events: SluiceEvent[]; done: boolean[] } | undefined;
  private stopping = false;

  constructor(private readonly config: ElasticsearchSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.hosts = config.hostNames.map((h) => new URL(h.endsWith('/') ? h : `${h}/`));
    this.namer = new IndexNamer(config.indexName, config.indexNameBuilder, config.dateFormat, config.timeZone);
    this.connectMs = parseDuration(config.connectTimeout);
    this.requestMs = parseDuration(config.requestTimeout);
    this.backoffMs = parseDuration(config.retryBackoff);
    if (config.apiKey !== '') this.headers.Authorization = `ApiKey ${config.apiKey}`;
    else if (config.username !== '') this.headers.Authorization = `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`;
  }

  protected override async onStart(): Promise<void> {
    this.stopping = false;
    let ca: Buffer | undefined;
    if (this.config.ca !== '') {
      try {
        ca = await readFile(path.resolve(this.ctx.configDir, this.config.ca));
      } catch (error) {
        throw new SluiceError('SLUICE_COMPONENT_START', `elasticsearch sink '${this.name}': cannot read the ca file '${this.config.ca}': ${(error as Error).message}`, { cause: error });
      }
    }
    for (const host of this.hosts) {
      const options = { keepAlive: true, maxSockets: 1 };
      this.agents.set(host.origin, host.protocol === 'https:' ? new https.Agent({ ...options, ...(ca ? { ca } : {}) }) : new http.Agent(options));
    }
  }

  protected override async onStop(): Promise<void> {
    this.stopping = true;
    for (const agent of this.agents.values()) agent.destroy();
    this.agents = new Map();
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    const items = this.prepare(events);
    let pending = items.filter((item) => !item.done && item.rejection === undefined);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > this.config.itemRetries || this.stopping) {
          this.remember(events, items);
          const reasons = [...new Set(pending.map((item) => item.rejection?.message ?? 'refused'))].slice(0, 3).join('; ');
          throw new SluiceError('SLUICE_DELIVERY_FAILED', `elasticsearch sink '${this.name}': ${pending.length} of ${events.length} event(s) were still refused after ${this.config.itemRetries} retries (${reasons}); the batch was rolled back and its indexed events will not be sent again`);
        }
        await sleep(Math.min(this.backoffMs * 2 ** (attempt - 1), 10_000));
      }
      let answers: ItemAnswer[];
      try {
        answers = await this.bulk(pending);
      } catch (error) {
        this.remember(events, items);
        throw error;
      }
      const retry: BulkItem[] = [];
      for (let i = 0; i < pending.length; i++) {
        const item = pending[i]!;
        const answer = answers[i]!;
        if ((answer.status >= 200 && answer.status < 300) || (answer.status === 409 && this.config.idHeader !== '')) {
          item.done = true;
        } else if (answer.status === 429 || answer.status >= 500) {
          item.rejection = new SluiceError('SLUICE_DELIVERY_FAILED', `${answer.status} ${answer.type ?? ''}: ${answer.reason ?? ''}`.trim());
          retry.push(item);
        } else {
          item.rejection = new SluiceError('SLUICE_EVENT_REJECTED', `elasticsearch refused the document with ${answer.status} ${answer.type ?? 'error'}: ${answer.reason ?? 'no reason given'}`);
          item.lines = undefined;
        }
      }
      pending = retry;
    }
    const rejected = items.filter((item) => item.lines === undefined && !item.done);
    if (!await setAsideRejected(this.ctx, rejected.map((item) => ({ event: item.event, error: item.rejection })))) {
      this.remember(events, items);
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `elasticsearch sink '${this.name}': ${rejected.length} rejected event(s) could not be moved to the dead-letter channel; the batch was rolled back`);
    }
    this.resume = undefined;
  }

  /** Builds each event's bulk lines once; events already indexed by a rolled-back try are done. */
  private prepare(events: SluiceEvent[]): BulkItem[] {
    const done = this.resume && sameEvents(this.resume.events, events) ? this.resume.done : undefined;
    this.resume = undefined;
    const now = Date.now();
    return events.map((event, i) => {
      if (done?.[i]) return { event, done: true };
      try {
        const meta: Record<string, string> = { _index: this.namer.name(event, now) };
        let action = 'index';
        if (this.config.idHeader !== '') {
          const id = event.headers[this.config.idHeader];
          if (id === undefined || id === '') throw new SluiceError('SLUICE_EVENT_REJECTED', `the event has no '${this.config.idHeader}' header for its document id (idHeader)`);
          meta._id = id;
          action = 'create';
        }
        return { event, lines: `${JSON.stringify({ [action]: meta })}\n${JSON.stringify(eventDocument(event, this.config.serializer))}\n`, done: false };
      } catch (error) {
        if (errorCode(error) !== 'SLUICE_EVENT_REJECTED') throw error;
        return { event, rejection: error as SluiceError, done: false };
      }
    });
  }

  private remember(events: SluiceEvent[], items: BulkItem[]): void {
    if (items.some((item) => item.done)) this.resume = { events, done: items.map((item) => item.done) };
  }

  /** Sends one bulk request, trying each host in turn on retriable failures; returns item answers in order. */
  private async bulk(items: BulkItem[]): Promise<ItemAnswer[]> {
    const body = Buffer.from(items.map((item) => item.lines!).join(''), 'utf8');
    let failure: SluiceError | undefined;
    for (let tries = 0; tries < this.hosts.length; tries++) {
      const host = this.hosts[this.next]!;
      this.next = (this.next + 1) % this.hosts.length;
      let answer: { status: number; text: string };
      try {
        answer = await this.post(host, body);
      } catch (error) {
        failure = error as SluiceError;
        continue;
      }
      if (answer.status === 200) return parseItems(answer.text, items.length, this.name);
      const what = `${host.origin} answered ${answer.status} to a bulk request of ${items.length} document(s): ${answer.text.slice(0, 300)}`;
      if (!RETRIABLE_STATUS(answer.status)) {
        throw new SluiceError('SLUICE_EVENT_REJECTED', `elasticsearch sink '${this.name}': ${what}; retrying the same batch will not help (configure deadLetter to set it aside)`, { details: { status: answer.status } });
      }
      failure = new SluiceError('SLUICE_DELIVERY_FAILED', `elasticsearch sink '${this.name}': ${what}; the batch was rolled back and will be retried`, { details: { status: answer.status } });
    }
    throw failure!;
  }

  private post(host: URL, body: Buffer): Promise<{ status: number; text: string }> {
    const { counters } = this.ctx.metrics;
    const url = new URL('_bulk', host);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (reason: string, cause?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new SluiceError('SLUICE_DELIVERY_FAILED', `elasticsearch sink '${this.name}': POST ${url.href} failed: ${reason}; the batch was rolled back and will be retried`, { cause }));
      };
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST', agent: this.agents.get(host.origin), headers: { ...this.headers, 'Content-Length': String(body.length) },
      });
      const timer = setTimeout(() => fail(`no complete answer within requestTimeout ${this.config.requestTimeout}`), this.requestMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        counters.ConnectionCreatedCount! += 1;
        const connectTimer = setTimeout(() => fail(`not connected within connectTimeout ${this.config.connectTimeout}`), this.connectMs);
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
        socket.once('close', () => {
          clearTimeout(connectTimer);
          counters.ConnectionClosedCount! += 1;
        });
      });
      req.on('error', (error) => {
        if (!settled) counters.ConnectionFailedCount! += 1;
        fail(error.message, error);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => fail(error.message, error));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(body);
    });
  }
}

/** Reads the `items` of a bulk answer; a body that does not account for every item is retriable. */
function parseItems(text: string, expected: number, sink: string): ItemAnswer[] {
  let items: unknown;
  try {
    items = (JSON.parse(text) as { items?: unknown }).items;
  } catch {
    items = undefined;
  }
  if (!Array.isArray(items) || items.length !== expected) {
    throw new SluiceError('SLUICE_DELIVERY_FAILED', `elasticsearch sink '${sink}': the bulk answer does not list ${expected} item(s): ${text.slice(0, 200)}; the batch was rolled back and will be retried`);
  }
  return items.map((item: Record<string, { status?: number; error?: { type?: string; reason?: string } }>) => {
    const result = Object.values(item)[0] ?? {};
    return { status: result.status ?? 0, type: result.error?.type, reason: result.error?.reason };
  });
}

function sameEvents(a: readonly SluiceEvent[], b: readonly SluiceEvent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (!x.body.equals(y.body)) return false;
    const keys = Object.keys(x.headers);
    if (keys.length !== Object.keys(y.headers).length || keys.some((k) => x.headers[k] !== y.headers[k])) return false;
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
