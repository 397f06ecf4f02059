import { SluiceError } from '@sluice/core';

/** Connection settings of {@link WebHdfsClient}. */
export interface WebHdfsClientOptions {
  /** Namenode (or HttpFS) base URL, e.g. `http://namenode:9870`. */
  url: string;
  /** Simple-auth user (`user.name`); ignored when a delegation token is set. */
  user?: string;
  /** Delegation token (`delegation`), for secured clusters. */
  delegationToken?: string;
  /** Per-request timeout in ms. */
  timeoutMs: number;
}

/** The FileStatus JSON object of GETFILESTATUS / LISTSTATUS. */
export interface FileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  modificationTime: number;
}

/**
 * Hadoop exceptions that a retry can fix even though WebHDFS answers them with a 4xx (usually 403):
 * failover and restarts, lease recovery after a previous writer (an APPEND soon after a close or a
 * crash), and quotas an operator raises. Everything else in 4xx is a refusal retrying cannot fix.
 */
const RETRIABLE_EXCEPTIONS = new Set([
  'RetriableException', 'StandbyException', 'SafeModeException', 'ObserverRetryOnActiveException',
  'RecoveryInProgressException', 'AlreadyBeingCreatedException', 'LeaseExpiredException',
  'DSQuotaExceededException', 'NSQuotaExceededException', 'ClusterStorageCapacityExceededException', 'DiskOutOfSpaceException',
]);

/**
 * A minimal WebHDFS REST client (hadoop WebHDFS.html): the operations a sink needs, with
 * CREATE and APPEND done in the documented two steps (ask the namenode, follow its 307 to the
 * datanode with the data). Every failure becomes a SluiceError: SLUICE_DELIVERY_FAILED
 * (retriable) for connection errors, timeouts, 5xx and Hadoop's retriable exceptions;
 * SLUICE_EVENT_REJECTED (not retriable) for other 4xx answers.
 */
export class WebHdfsClient {
  private readonly base: string;

  constructor(private readonly options: WebHdfsClientOptions) {
    this.base = `${options.url.replace(/\/+$/, '')}/webhdfs/v1`;
  }

  /** Creates (or with `overwrite`, replaces) `path` holding `data`; parents are created. */
  async create(path: string, data: Buffer, overwrite = false): Promise<void> {
    await this.twoStep('PUT', path, { op: 'CREATE', overwrite: String(overwrite) }, data);
  }

  /** Appends `data` to an existing file; resolves once the datanode acknowledged it. */
  async append(path: string, data: Buffer): Promise<void> {
    await this.twoStep('POST', path, { op: 'APPEND' }, data);
  }

  /** Reads a whole file (OPEN, following the redirect). */
  async read(path: string): Promise<Buffer> {
    const res = await this.request('GET', this.url(path, { op: 'OPEN' }), undefined, 'follow');
    return Buffer.from(await res.arrayBuffer());
  }

  async mkdirs(path: string): Promise<boolean> {
    return this.booleanOp('PUT', path, { op: 'MKDIRS' });
  }

  /** Renames; false when the source is missing or the destination exists (HDFS semantics). */
  async rename(from: string, to: string): Promise<boolean> {
    return this.booleanOp('PUT', from, { op: 'RENAME', destination: to });
  }

  async delete(path: string, recursive = false): Promise<boolean> {
    return this.booleanOp('DELETE', path, { op: 'DELETE', recursive: String(recursive) });
  }

  /** The status of `path`, or undefined when it does not exist. */
  async status(path: string): Promise<FileStatus | undefined> {
    try {
      const res = await this.request('GET', this.url(path, { op: 'GETFILESTATUS' }));
      return ((await res.json()) as { FileStatus: FileStatus }).FileStatus;
    } catch (error) {
      if ((error as SluiceError).details?.status === 404) return undefined;
      throw error;
    }
  }

  /** The entries of a directory. */
  async list(path: string): Promise<FileStatus[]> {
    const res = await this.request('GET', this.url(path, { op: 'LISTSTATUS' }));
    return ((await res.json()) as { FileStatuses: { FileStatus: FileStatus[] } }).FileStatuses.FileStatus;
  }

  private async booleanOp(method: string, path: string, params: Record<string, string>): Promise<boolean> {
    const res = await this.request(method, this.url(path, params));
    return ((await res.json()) as { boolean: boolean }).boolean;
  }

  private async twoStep(method: 'PUT' | 'POST', path: string, params: Record<string, string>, data: Buffer): Promise<void> {
    const first = await this.request(method, this.url(path, params), undefined, 'manual');
    let location = first.headers.get('location');
    if (first.status === 200 && !location) location = ((await first.json()) as { Location?: string }).Location ?? null;
    else await first.arrayBuffer();
    if (!location) throw new SluiceError('SLUICE_PROTOCOL', `WebHDFS ${params.op} ${path}: the namenode answered ${first.status} without a datanode Location; is ${this.options.url} a WebHDFS endpoint?`);
    const second = await this.request(method, location, data);
    await second.arrayBuffer();
  }

  private url(path: string, params: Record<string, string>): string {
    const query = new URLSearchParams(params);
    if (this.options.delegationToken) query.set('delegation', this.options.delegationToken);
    else if (this.options.user) query.set('user.name', this.options.user);
    return `${this.base}${encodePath(path)}?${query}`;
  }

  private async request(method: string, url: string, body?: Buffer, redirect: 'manual' | 'follow' = 'manual'): Promise<Response> {
    const op = new URL(url).searchParams.get('op') ?? '?';
    let res: Response;
    try {
      res = await fetch(url, {
        method, redirect, body,
        headers: body ? { 'Content-Type': 'application/octet-stream' } : undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (cause) {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `WebHDFS ${op} to ${new URL(url).origin} failed: ${describe(cause)}; check that the namenode/datanode is reachable`, { cause, details: { op } });
    }
    if (res.status < 300 || (res.status === 307 && redirect === 'manual')) return res;
    const text = await res.text().catch(() => '');
    let exception = '';
    let message = text.slice(0, 500);
    try {
      const remote = (JSON.parse(text) as { RemoteException?: { exception?: string; message?: string } }).RemoteException;
      exception = remote?.exception ?? '';
      message = remote?.message ?? message;
    } catch { /* not JSON: keep the text */ }
    const retriable = res.status >= 500 || res.status === 429 || res.status === 408 || RETRIABLE_EXCEPTIONS.has(exception);
    throw new SluiceError(retriable ? 'SLUICE_DELIVERY_FAILED' : 'SLUICE_EVENT_REJECTED',
      `WebHDFS ${op} ${decodeURIComponent(new URL(url).pathname)} answered ${res.status}${exception ? ` ${exception}` : ''}: ${message}`,
      { details: { op, status: res.status, exception } });
  }
}

function describe(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } }).cause;
  if (inner?.code) return inner.code;
  return (cause as Error)?.name === 'TimeoutError' ? 'timed out' : String((cause as Error)?.message ?? cause);
}

/** Percent-encodes each segment, so `%`, `?` and `#` in names survive the URL. */
export function encodePath(path: string): string {
  return path.split('/').map((s) => encodeURIComponent(s)).join('/');
}
