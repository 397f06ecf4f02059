import net from 'node:net';
import tls from 'node:tls';
import { SluiceError } from '../errors.js';

/** Where and how {@link connectRpcSocket} connects. */
export interface RpcConnectOptions {
  host: string;
  port: number;
  /** Limit for the TCP connect and the TLS handshake together. */
  connectTimeoutMs: number;
  /** TLS options; undefined for plain TCP. The server name is `host` unless it is an IP address. */
  tls?: tls.ConnectionOptions;
}

/**
 * Opens the socket of an RPC client (the `connect` of an {@link RpcBatchSink}'s client) and
 * resolves once it is connected, and with TLS once the handshake is done, within
 * `connectTimeoutMs`; TCP no-delay is set. Rejects with SLUICE_DELIVERY_FAILED (details.timeout
 * on timeout), also when `signal` aborts (the sink is stopping), and then leaves no socket
 * behind. `tier` names the protocol in messages ('avro').
 */
export async function connectRpcSocket(options: RpcConnectOptions, tier: string, signal?: AbortSignal): Promise<net.Socket> {
  const where = `${options.host}:${options.port}`;
  const aborted = () => new SluiceError('SLUICE_DELIVERY_FAILED', `${tier} sink: connecting to ${where} was abandoned because the sink is stopping`);
  if (signal?.aborted) throw aborted();
  const socket = options.tls
    ? tls.connect({ host: options.host, port: options.port, ...(net.isIP(options.host) ? {} : { servername: options.host }), ...options.tls })
    : net.connect({ host: options.host, port: options.port });
  socket.setNoDelay(true);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SluiceError('SLUICE_DELIVERY_FAILED', `${tier} sink: connecting to ${where} took longer than connectTimeout (${options.connectTimeoutMs} ms); check that the collector is up and reachable`, { details: { timeout: true } })), options.connectTimeoutMs);
      socket.once(options.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new SluiceError('SLUICE_DELIVERY_FAILED', `${tier} sink cannot connect to ${where}: ${err.message}; check that the collector is up and reachable`, { cause: err }));
      });
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(aborted());
      }, { once: true });
    });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return socket;
}

interface PendingCall {
  tag: number | undefined;
  resolve(payload: Buffer): void;
  reject(error: SluiceError): void;
  timer: NodeJS.Timeout;
}

/**
 * The connection half of an RPC tier's client ({@link RpcBatchClient}): one call at a time, each
 * answered within a timeout, over one socket. A transport failure (the socket closing or failing,
 * a timeout, {@link fail}) rejects the call in progress with a retriable SLUICE_DELIVERY_FAILED,
 * destroys the connection and makes every later call reject with the same error: the client is
 * then closed for good (make a new one to reconnect).
 *
 * Subclasses encode calls and decode frames: they read the socket (or a stream over it), pass each
 * answer to {@link answer}, and send with {@link call}. `where` ('avro sink -> host:port') starts
 * every message.
 */
export abstract class RpcClient {
  private pending: PendingCall | undefined;
  private failure: SluiceError | undefined;

  protected constructor(protected readonly socket: net.Socket, private readonly where: string) {
    socket.on('close', () => this.fail(this.error('the server closed the connection')));
    socket.on('error', (err) => this.fail(this.error(`connection error: ${err.message}`, err)));
  }

  /** True until a failure or `close`. */
  get open(): boolean {
    return this.failure === undefined && !this.socket.destroyed;
  }

  close(): void {
    this.fail(this.error('the client was closed'));
  }

  /**
   * Runs `send` (which writes one call) and resolves the payload passed to {@link answer} for it.
   * Without an answer within `timeoutMs` the client fails (`limit` names the setting in the
   * message). Rejects at once when the client has failed, and with a TypeError while another
   * call is in progress. `tag` (a serial or sequence id) makes answers with another tag ignored.
   */
  protected call(what: string, timeoutMs: number, limit: string, send: () => void, tag?: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new TypeError(`${this.constructor.name}: one call at a time`));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(this.error(`no answer to ${what} within ${timeoutMs} ms (${limit}); the collector may be overloaded or stuck`, undefined, { timeout: true }));
      }, timeoutMs);
      this.pending = { tag, resolve, reject, timer };
      send();
    });
  }

  /** Resolves the call in progress with `payload`; an answer with no call waiting, or another tag, is dropped (a late answer to an abandoned call). */
  protected answer(payload: Buffer, tag?: number): void {
    const pending = this.pending;
    if (!pending || (pending.tag !== undefined && pending.tag !== tag)) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(payload);
  }

  /** Closes the client for good with `error` (the first failure sticks), rejecting the call in progress. */
  protected fail(error: SluiceError): void {
    if (!this.failure) this.failure = error;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(this.failure);
    }
    this.destroy();
  }

  /** The failure that closed the client, if any. */
  protected get failed(): SluiceError | undefined {
    return this.failure;
  }

  /** Tears the connection down; a subclass with a stream over the socket destroys that too. */
  protected destroy(): void {
    this.socket.destroy();
  }

  /** A retriable SLUICE_DELIVERY_FAILED naming the peer. */
  protected error(message: string, cause?: unknown, details: Record<string, unknown> = {}): SluiceError {
    return new SluiceError('SLUICE_DELIVERY_FAILED', `${this.where}: ${message}`, { cause, details });
  }
}
