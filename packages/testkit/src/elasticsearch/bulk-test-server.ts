import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Options of {@link BulkTestServer.start}. */
export interface BulkTestServerOptions {
  /** Require `Authorization: Basic` with this user and password (401 otherwise). */
  basic?: { username: string; password: string };
  /** Require `Authorization: ApiKey <apiKey>` (401 otherwise). With `basic`, either is accepted. */
  apiKey?: string;
}

/** One stored document. */
export interface StoredDocument {
  index: string;
  id: string;
  version: number;
  source: Record<string, unknown>;
}

/** Decides the answer to one bulk item: a status to force, or undefined to index it normally. */
export type ItemFault = (item: { action: string; index: string; id: string | undefined; source: unknown }) => number | undefined;

type FieldType = 'long' | 'double' | 'boolean' | 'text' | 'object' | 'date';

const INDEX_NAME_FORBIDDEN = /[\\/*?"<>| ,#:A-Z]/;

/**
 * An Elasticsearch/OpenSearch test peer for sinks, written from the Elasticsearch REST reference
 * (Bulk API, Count API, Get API, root info): `POST /_bulk` and `POST /<index>/_bulk` with
 * newline-delimited action and source lines (`index`, `create`, `delete`; `_index`, `_id`),
 * answered `200 {took, errors, items}` with a per-item `status` and `error {type, reason}` the way
 * Elasticsearch does: `create` of an existing id is 409 `version_conflict_engine_exception`, an
 * invalid index name 400 `invalid_index_name_exception`, a source that is not a JSON object or
 * whose field types conflict with the index's dynamic mapping 400 `mapper_parsing_exception`. A
 * malformed request body is a whole-request 400 `illegal_argument_exception`, a body that does
 * not end with a newline too. `GET /<index>/_count`, `GET /<index>/_doc/<id>`, `GET /`.
 *
 * Documents live in memory and survive {@link restart} (as a real node's data on disk would).
 * Faults for tests: {@link failItems} (per-item statuses, e.g. 429 or 503), {@link failRequests}
 * (whole-request statuses), {@link stop}/{@link restart} (connection refused in between).
 */
export class BulkTestServer {
  private readonly docs = new Map<string, Map<string, StoredDocument>>();
  private readonly mappings = new Map<string, Map<string, FieldType>>();
  private nextAutoId = 1;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private itemFault: ItemFault | undefined;
  private requestFaults: number[] = [];
  /** Every bulk request seen: its path, the number of items, and the headers. */
  readonly requests: { path: string; items: number; headers: IncomingMessage['headers'] }[] = [];

  private constructor(private port: number, private readonly options: BulkTestServerOptions) {}

  /** Starts on 127.0.0.1 on an ephemeral port. */
  static async start(options: BulkTestServerOptions = {}): Promise<BulkTestServer> {
    const server = new BulkTestServer(0, options);
    await server.listen();
    return server;
  }

  /** The base URL, e.g. `http://127.0.0.1:39211`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Forces per-item answers until cleared with `failItems(undefined)`. */
  failItems(fault: ItemFault | undefined): void {
    this.itemFault = fault;
  }

  /** Answers the next requests with these statuses (one each), before looking at their bodies. */
  failRequests(...statuses: number[]): void {
    this.requestFaults.push(...statuses);
  }

  /** Documents of an index (all indices when omitted), in insertion order. */
  documents(index?: string): StoredDocument[] {
    const indices = index === undefined ? [...this.docs.values()] : [this.docs.get(index) ?? new Map<string, StoredDocument>()];
    return indices.flatMap((m) => [...m.values()]);
  }

  /** The names of the indices that hold documents. */
  indices(): string[] {
    return [...this.docs.keys()].filter((name) => (this.docs.get(name)?.size ?? 0) > 0);
  }

  /** Closes the listener and every connection; documents are kept. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port, with the same documents. */
  async restart(): Promise<void> {
    await this.stop();
    await this.listen();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.url);
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (!this.authorized(req)) {
        send(res, 401, error('security_exception', 'missing authentication credentials for REST request'), { 'WWW-Authenticate': 'Basic realm="security", ApiKey' });
        return;
      }
      if (req.method === 'GET' && parts.length === 0) {
        send(res, 200, { name: 'sluice-test', cluster_name: 'sluice-test', version: { number: '8.15.0', distribution: 'elasticsearch-compatible test peer' }, tagline: 'You Know, for Search' });
        return;
      }
      if (req.method === 'POST' || req.method === 'PUT') {
        if (parts.at(-1) === '_bulk' && parts.length <= 2) {
          const status = this.requestFaults.shift();
          if (status !== undefined) {
            send(res, status, error(status === 429 ? 'es_rejected_execution_exception' : 'test_fault', `request refused by the test (${status})`));
            return;
          }
          this.bulk(req, parts.length === 2 ? parts[0] : undefined, Buffer.concat(chunks), res);
          return;
        }
      }
      if (req.method === 'GET' && parts.length === 2 && parts[1] === '_count') {
        send(res, 200, { count: this.docs.get(parts[0]!)?.size ?? 0 });
        return;
      }
      if (req.method === 'GET' && parts.length === 3 && parts[1] === '_doc') {
        const doc = this.docs.get(parts[0]!)?.get(parts[2]!);
        if (doc) send(res, 200, { _index: doc.index, _id: doc.id, _version: doc.version, found: true, _source: doc.source });
        else send(res, 404, { _index: parts[0], _id: parts[2], found: false });
        return;
      }
      send(res, 405, error('illegal_argument_exception', `${req.method} ${url.pathname} is not supported by the test server`));
    });
  }

  private authorized(req: IncomingMessage): boolean {
    const { basic, apiKey } = this.options;
    if (!basic && !apiKey) return true;
    const header = req.headers.authorization ?? '';
    if (basic && header === `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`) return true;
    return apiKey !== undefined && header === `ApiKey ${apiKey}`;
  }

  private bulk(req: IncomingMessage, defaultIndex: string | undefined, body: Buffer, res: ServerResponse): void {
    const started = Date.now();
    const text = body.toString('utf8');
    if (text.length === 0 || !text.endsWith('\n')) {
      send(res, 400, error('illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]'));
      return;
    }
    const lines = text.slice(0, -1).split('\n');
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < lines.length; i++) {
      let action: Record<string, { _index?: string; _id?: string }>;
      try {
        action = JSON.parse(lines[i]!) as typeof action;
      } catch {
        send(res, 400, error('illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected START_OBJECT`));
        return;
      }
      const [name] = Object.keys(action);
      if (name !== 'index' && name !== 'create' && name !== 'delete') {
        send(res, 400, error('illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected one of [create, delete, index, update] but found [${name}]`));
        return;
      }
      const meta = action[name]!;
      const index = meta._index ?? defaultIndex;
      if (index === undefined) {
        send(res, 400, error('action_request_validation_exception', 'Validation Failed: 1: index is missing;'));
        return;
      }
      let source: unknown;
      if (name !== 'delete') {
        i++;
        if (i >= lines.length) {
          send(res, 400, error('illegal_argument_exception', `The bulk request's ${name} action on line ${i} has no source line`));
          return;
        }
        try {
          source = JSON.parse(lines[i]!);
        } catch {
          items.push({ [name]: { _index: index, _id: meta._id ?? null, status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse' } } });
          continue;
        }
      }
      items.push({ [name]: this.apply(name, index, meta._id, source) });
    }
    this.requests.push({ path: req.url ?? '', items: items.length, headers: req.headers });
    send(res, 200, { took: Date.now() - started, errors: items.some((item) => (Object.values(item)[0] as { status: number }).status >= 300), items });
  }

  private apply(action: string, index: string, id: string | undefined, source: unknown): Record<string, unknown> {
    const forced = this.itemFault?.({ action, index, id, source });
    if (forced !== undefined) {
      const type = forced === 429 ? 'es_rejected_execution_exception' : forced >= 500 ? 'unavailable_shards_exception' : 'illegal_argument_exception';
      return { _index: index, _id: id ?? null, status: forced, error: { type, reason: `item refused by the test (${forced})` } };
    }
    if (index.length === 0 || INDEX_NAME_FORBIDDEN.test(index) || /^[-_+]/.test(index) || index === '.' || index === '..' || Buffer.byteLength(index) > 255) {
      return { _index: index, _id: id ?? null, status: 400, error: { type: 'invalid_index_name_exception', reason: `Invalid index name [${index}], must be lowercase and must not contain \\, /, *, ?, ", <, >, |, space, comma, #, : or start with -, _, +` } };
    }
    const docs = this.docs.get(index) ?? new Map<string, StoredDocument>();
    if (action === 'delete') {
      const found = id !== undefined && docs.delete(id);
      return { _index: index, _id: id ?? null, result: found ? 'deleted' : 'not_found', status: found ? 200 : 404 };
    }
    if (source === null || typeof source !== 'object' || Array.isArray(source)) {
      return { _index: index, _id: id ?? null, status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse, document is empty or not an object' } };
    }
    const conflict = this.map(index, '', source as Record<string, unknown>, false);
    if (conflict) return { _index: index, _id: id ?? null, status: 400, error: { type: 'mapper_parsing_exception', reason: conflict } };
    const docId = id ?? `auto-${this.nextAutoId++}`;
    const existing = docs.get(docId);
    if (existing && action === 'create') {
      return { _index: index, _id: docId, status: 409, error: { type: 'version_conflict_engine_exception', reason: `[${docId}]: version conflict, document already exists (current version [${existing.version}])` } };
    }
    this.map(index, '', source as Record<string, unknown>, true);
    const version = (existing?.version ?? 0) + 1;
    docs.set(docId, { index, id: docId, version, source: source as Record<string, unknown> });
    this.docs.set(index, docs);
    return { _index: index, _id: docId, _version: version, result: existing ? 'updated' : 'created', status: existing ? 200 : 201 };
  }

  /** Checks (and with `commit`, records) dynamic mapping; returns a conflict's reason. */
  private map(index: string, prefix: string, source: Record<string, unknown>, commit: boolean): string | undefined {
    const mapping = this.mappings.get(index) ?? new Map<string, FieldType>();
    if (commit) this.mappings.set(index, mapping);
    for (const [key, value] of Object.entries(source)) {
      if (value === null) continue;
      const field = prefix + key;
      const type: FieldType = typeof value === 'number' ? (Number.isInteger(value) ? 'long' : 'double')
        : typeof value === 'boolean' ? 'boolean'
          : typeof value === 'object' && !Array.isArray(value) ? 'object'
            : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(value) ? 'date' : 'text';
      const known = mapping.get(field);
      const compatible = known === undefined || known === type || (known === 'double' && type === 'long') || (known === 'long' && type === 'double') || (known === 'text' && type === 'date');
      if (!compatible) return `failed to parse field [${field}] of type [${known}] in document: a value of type [${type}] cannot be indexed into it`;
      if (commit && known === undefined) mapping.set(field, type);
      if (type === 'object') {
        const nested = this.map(index, `${field}.`, value as Record<string, unknown>, commit);
        if (nested) return nested;
      }
    }
    return undefined;
  }
}

function error(type: string, reason: string): Record<string, unknown> {
  return { error: { root_cause: [{ type, reason }], type, reason }, status: 0 };
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  if ('status' in body && body.status === 0) body.status = status;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers }).end(text);
}
