import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of {@link WebHdfsTestServer.start}. */
export interface WebHdfsTestServerOptions {
  /** Answer 401 (SecurityException) to requests that carry neither `user.name` nor `delegation`. */
  requireUser?: boolean;
  /** A delegation token the server accepts in place of `user.name` (any other token gets 403). */
  delegationToken?: string;
}

interface FileNode { type: 'FILE'; chunks: Buffer[]; length: number; mtime: number; owner: string; id: number }
interface DirNode { type: 'DIRECTORY'; mtime: number; owner: string; id: number }
type Node = FileNode | DirNode;

const PREFIX = '/webhdfs/v1';
const EXCEPTIONS: Record<string, string> = {
  FileNotFoundException: 'java.io.FileNotFoundException',
  FileAlreadyExistsException: 'org.apache.hadoop.fs.FileAlreadyExistsException',
  IllegalArgumentException: 'java.lang.IllegalArgumentException',
  InvalidPathException: 'org.apache.hadoop.fs.InvalidPathException',
  SecurityException: 'java.lang.SecurityException',
  AccessControlException: 'org.apache.hadoop.security.AccessControlException',
  IOException: 'java.io.IOException',
  PathIsNotEmptyDirectoryException: 'org.apache.hadoop.fs.PathIsNotEmptyDirectoryException',
  ParentNotDirectoryException: 'org.apache.hadoop.fs.ParentNotDirectoryException',
  RetriableException: 'org.apache.hadoop.ipc.RetriableException',
  StandbyException: 'org.apache.hadoop.ipc.StandbyException',
};

class RemoteError extends Error {
  constructor(readonly status: number, readonly exception: string, message: string) {
    super(message);
  }
}

/**
 * A WebHDFS server for tests and benchmarks, following the Hadoop WebHDFS REST API
 * (hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/WebHDFS.html): a namenode
 * endpoint and a separate datanode endpoint; CREATE (PUT) and APPEND (POST) answer the namenode
 * request with `307 Temporary Redirect` to the datanode (or `200 {"Location"}` with
 * `noredirect=true`) and the data goes to the datanode; OPEN redirects the same way. MKDIRS,
 * RENAME, DELETE, GETFILESTATUS, LISTSTATUS; errors are `RemoteException` JSON with the HTTP
 * status HDFS uses (404 FileNotFoundException, 403 FileAlreadyExistsException, 400
 * IllegalArgumentException, 401 SecurityException).
 *
 * The namespace lives in memory. A datanode write is applied when its request body is complete,
 * so a client killed mid-request leaves no torn data (real datanodes may keep a partial packet).
 * `failWith` makes every namenode request fail, to test a sink's error handling.
 */
export class WebHdfsTestServer {
  private readonly nodes = new Map<string, Node>([['/', { type: 'DIRECTORY', mtime: Date.now(), owner: 'hdfs', id: 16385 }]]);
  private nextId = 16386;
  private failure: { status: number; exception: string; ops: Set<string> | undefined } | undefined;
  /** Every namenode request seen, as `OP path` (for assertions about the protocol used). */
  readonly requests: string[] = [];

  private constructor(private readonly namenode: Server, private readonly datanode: Server, private readonly options: WebHdfsTestServerOptions) {}

  /** Starts a namenode and a datanode endpoint on 127.0.0.1, ephemeral ports. */
  static async start(options: WebHdfsTestServerOptions = {}): Promise<WebHdfsTestServer> {
    let self: WebHdfsTestServer | undefined;
    const namenode = createServer((req, res) => self!.handle(req, res, 'namenode'));
    const datanode = createServer((req, res) => self!.handle(req, res, 'datanode'));
    self = new WebHdfsTestServer(namenode, datanode, options);
    await Promise.all([namenode, datanode].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
    return self;
  }

  /** The namenode URL, e.g. `http://127.0.0.1:41234` (what a sink's `url` points at). */
  get url(): string {
    return `http://127.0.0.1:${(this.namenode.address() as AddressInfo).port}`;
  }

  private get datanodeUrl(): string {
    return `http://127.0.0.1:${(this.datanode.address() as AddressInfo).port}`;
  }

  /**
   * Makes namenode requests answer `status` with a RemoteException until `failWith(null)`: every
   * operation, or only those listed in `ops` (e.g. `['RENAME']`). The exception defaults to
   * RetriableException for 5xx and AccessControlException otherwise.
   */
  failWith(status: number | null, options: { exception?: string; ops?: readonly string[] } = {}): void {
    if (status === null) {
      this.failure = undefined;
      return;
    }
    const exception = options.exception ?? (status >= 500 ? 'RetriableException' : 'AccessControlException');
    this.failure = { status, exception, ops: options.ops ? new Set(options.ops.map((op) => op.toUpperCase())) : undefined };
  }

  /** The content of a file, or undefined when there is none at `path`. */
  readFile(path: string): Buffer | undefined {
    const node = this.nodes.get(normalize(path));
    return node?.type === 'FILE' ? Buffer.concat(node.chunks) : undefined;
  }

  /** Every file path under `dir` (recursively), sorted. */
  listFiles(dir = '/'): string[] {
    const base = normalize(dir);
    const prefix = base === '/' ? '/' : `${base}/`;
    return [...this.nodes].filter(([p, n]) => n.type === 'FILE' && p.startsWith(prefix)).map(([p]) => p).sort();
  }

  /** Deletes everything (between tests). */
  clear(): void {
    for (const key of [...this.nodes.keys()]) if (key !== '/') this.nodes.delete(key);
  }

  async close(): Promise<void> {
    for (const server of [this.namenode, this.datanode]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse, role: 'namenode' | 'datanode'): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      try {
        this.route(req, res, role, Buffer.concat(chunks));
      } catch (error) {
        const e = error instanceof RemoteError ? error : new RemoteError(500, 'IOException', String(error));
        send(res, e.status, { RemoteException: { exception: e.exception, javaClassName: EXCEPTIONS[e.exception] ?? 'java.io.IOException', message: e.message } });
      }
    });
  }

  private route(req: IncomingMessage, res: ServerResponse, role: 'namenode' | 'datanode', body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(PREFIX)) throw new RemoteError(404, 'FileNotFoundException', `${url.pathname} is not under ${PREFIX}`);
    const path = decodePath(url.pathname.slice(PREFIX.length));
    const q = url.searchParams;
    const op = (q.get('op') ?? '').toUpperCase();
    const user = this.authenticate(q);
    const method = req.method ?? 'GET';
    if (role === 'namenode') {
      this.requests.push(`${op} ${path}`);
      if (this.failure && (!this.failure.ops || this.failure.ops.has(op))) throw new RemoteError(this.failure.status, this.failure.exception, `injected failure for ${op} ${path}`);
    }
    const expectMethod = (m: string): void => {
      if (method !== m) throw new RemoteError(400, 'IllegalArgumentException', `Invalid HTTP method ${method} for op=${op}; use ${m}`);
    };
    switch (op) {
      case 'CREATE': {
        expectMethod('PUT');
        if (role === 'namenode') return this.redirect(res, url, q);
        const existing = this.nodes.get(path);
        if (existing?.type === 'DIRECTORY') throw new RemoteError(403, 'FileAlreadyExistsException', `${path} already exists as a directory`);
        if (existing && q.get('overwrite') !== 'true') throw new RemoteError(403, 'FileAlreadyExistsException', `${path} for client 127.0.0.1 already exists`);
        this.mkdirs(parentOf(path), user);
        this.nodes.set(path, { type: 'FILE', chunks: body.length ? [body] : [], length: body.length, mtime: Date.now(), owner: user, id: this.nextId++ });
        res.writeHead(201, { Location: `webhdfs://127.0.0.1:${(this.namenode.address() as AddressInfo).port}${encodePath(path)}`, 'Content-Length': '0' });
        res.end();
        return;
      }
      case 'APPEND': {
        expectMethod('POST');
        if (role === 'namenode') return this.redirect(res, url, q);
        const file = this.file(path);
        if (body.length) file.chunks.push(body);
        file.length += body.length;
        file.mtime = Date.now();
        res.writeHead(200, { 'Content-Length': '0' });
        res.end();
        return;
      }
      case 'OPEN': {
        expectMethod('GET');
        if (role === 'namenode') return this.redirect(res, url, q);
        const data = Buffer.concat(this.file(path).chunks);
        const offset = Number(q.get('offset') ?? 0);
        const length = q.has('length') ? Number(q.get('length')) : data.length;
        const slice = data.subarray(offset, offset + length);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(slice.length) });
        res.end(slice);
        return;
      }
      case 'MKDIRS':
        expectMethod('PUT');
        return send(res, 200, { boolean: this.mkdirs(path, user) });
      case 'RENAME': {
        expectMethod('PUT');
        const destination = q.get('destination');
        if (!destination) throw new RemoteError(400, 'IllegalArgumentException', 'RENAME needs the destination parameter');
        return send(res, 200, { boolean: this.rename(path, decodePath(destination)) });
      }
      case 'DELETE':
        expectMethod('DELETE');
        return send(res, 200, { boolean: this.delete(path, q.get('recursive') === 'true') });
      case 'GETFILESTATUS': {
        expectMethod('GET');
        const node = this.nodes.get(path);
        if (!node) throw new RemoteError(404, 'FileNotFoundException', `File does not exist: ${path}`);
        return send(res, 200, { FileStatus: status(node, '') });
      }
      case 'LISTSTATUS': {
        expectMethod('GET');
        const node = this.nodes.get(path);
        if (!node) throw new RemoteError(404, 'FileNotFoundException', `File ${path} does not exist.`);
        const list = node.type === 'FILE' ? [status(node, '')] : this.children(path).map(([p, n]) => status(n, p.slice(p.lastIndexOf('/') + 1)));
        return send(res, 200, { FileStatuses: { FileStatus: list } });
      }
      case 'GETHOMEDIRECTORY':
        return send(res, 200, { Path: `/user/${user}` });
      default:
        throw new RemoteError(400, 'IllegalArgumentException', `Invalid value for webhdfs parameter "op": No enum constant ${op}`);
    }
  }

  private authenticate(q: URLSearchParams): string {
    const token = q.get('delegation');
    if (token !== null) {
      if (this.options.delegationToken !== undefined && token !== this.options.delegationToken) throw new RemoteError(403, 'SecurityException', 'Failed to obtain user group information: token is not valid');
      return 'token-user';
    }
    const user = q.get('user.name');
    if (user) return user;
    if (this.options.requireUser) throw new RemoteError(401, 'SecurityException', 'Authentication required: pass user.name or delegation');
    return 'dr.who';
  }

  private redirect(res: ServerResponse, url: URL, q: URLSearchParams): void {
    const target = new URL(url.pathname, this.datanodeUrl);
    for (const [k, v] of q) if (k !== 'noredirect') target.searchParams.set(k, v);
    target.searchParams.set('namenoderpcaddress', '127.0.0.1:8020');
    if (q.get('noredirect') === 'true') return send(res, 200, { Location: target.toString() });
    res.writeHead(307, { Location: target.toString(), 'Content-Length': '0' });
    res.end();
  }

  private file(path: string): FileNode {
    const node = this.nodes.get(path);
    if (!node) throw new RemoteError(404, 'FileNotFoundException', `File does not exist: ${path}`);
    if (node.type !== 'FILE') throw new RemoteError(403, 'FileAlreadyExistsException', `${path} is a directory`);
    return node;
  }

  private mkdirs(path: string, owner: string): boolean {
    if (path === '/') return true;
    const node = this.nodes.get(path);
    if (node?.type === 'FILE') throw new RemoteError(403, 'ParentNotDirectoryException', `${path} is a file`);
    if (node) return true;
    this.mkdirs(parentOf(path), owner);
    this.nodes.set(path, { type: 'DIRECTORY', mtime: Date.now(), owner, id: this.nextId++ });
    return true;
  }

  private rename(from: string, to: string): boolean {
    const node = this.nodes.get(from);
    if (!node || from === '/' || this.nodes.has(to)) return false;
    if (this.nodes.get(parentOf(to))?.type !== 'DIRECTORY') return false;
    if (to.startsWith(`${from}/`)) return false;
    const moved = [...this.nodes].filter(([p]) => p === from || p.startsWith(`${from}/`));
    for (const [p] of moved) this.nodes.delete(p);
    for (const [p, n] of moved) this.nodes.set(to + p.slice(from.length), n);
    return true;
  }

  private delete(path: string, recursive: boolean): boolean {
    const node = this.nodes.get(path);
    if (!node || path === '/') return false;
    const children = this.children(path);
    if (node.type === 'DIRECTORY' && children.length > 0 && !recursive) throw new RemoteError(403, 'PathIsNotEmptyDirectoryException', `${path} is non empty': Directory is not empty`);
    for (const p of [...this.nodes.keys()]) if (p === path || p.startsWith(`${path}/`)) this.nodes.delete(p);
    return true;
  }

  private children(dir: string): [string, Node][] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    return [...this.nodes].filter(([p]) => p !== dir && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).sort(([a], [b]) => a.localeCompare(b));
  }
}

function status(node: Node, pathSuffix: string): Record<string, unknown> {
  const file = node.type === 'FILE';
  return {
    accessTime: file ? node.mtime : 0, blockSize: file ? 134217728 : 0, childrenNum: 0, fileId: node.id, group: 'supergroup',
    length: file ? node.length : 0, modificationTime: node.mtime, owner: node.owner, pathSuffix,
    permission: file ? '644' : '755', replication: file ? 3 : 0, storagePolicy: 0, type: node.type,
  };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Decodes a URL path; like HDFS (DFSUtil.isValidName), `.`, `..` and `:` in a component are invalid. */
function decodePath(raw: string): string {
  const segments = raw.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  if (segments.some((s) => s === '.' || s === '..' || s.includes('/') || s.includes(':'))) {
    throw new RemoteError(400, 'InvalidPathException', `Invalid path name Invalid file name: ${decodeURIComponent(raw)}`);
  }
  return `/${segments.join('/')}`;
}

function normalize(path: string): string {
  return `/${path.split('/').filter((s) => s !== '').join('/')}`;
}

function encodePath(path: string): string {
  return path.split('/').map((s) => encodeURIComponent(s)).join('/');
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
