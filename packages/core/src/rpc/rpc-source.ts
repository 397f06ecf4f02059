import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { SourceContext } from '../context.js';
import { errorCode, SluiceError } from '../errors.js';
import type { Problem } from '../problem.js';
import type { SluiceEvent } from '../event.js';
import { listenTcp, type TcpListening } from '../net/tcp-listen.js';
import type { EventDrivenSource } from '../source.js';
import { reloadServerTls, type TlsReloadable, type TlsReloadOutcome } from '../tls/reload-server-tls.js';

/** The settings every {@link RpcSource} shares; see {@link rpcSourceSchemaProperties}. */
export interface RpcSourceConfig {
  bind: string;
  port: number;
  ssl: boolean;
  keystore: string;
  keystorePassword: string;
  keystoreType: 'pkcs12' | 'pem';
  maxConnections: number;
}

/** One client connection of an {@link RpcSource}, made by its subclass. */
export interface RpcSourceConnection {
  /** Settles when the call being served is answered; `stop` waits for it before dropping the socket. */
  readonly idle: Promise<void>;
}

/** JSON Schema properties of {@link RpcSourceConfig} (listening, TLS from a keystore, maxConnections), to spread into a JSONSchemaType. */
export function rpcSourceSchemaProperties() {
  return {
    bind: { type: 'string', default: '127.0.0.1', description: 'Address to listen on (0.0.0.0 for every interface).' },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: 'TCP port to listen on (0 picks a free port, logged at start).' },
    ssl: { type: 'boolean', default: false, description: 'Serve TLS (the keystore holds the certificate and key).' },
    keystore: { type: 'string', default: '', description: 'Path of the server certificate and key: a PKCS#12 file, or with keystoreType pem a PEM file holding both.' },
    keystorePassword: { type: 'string', default: '', description: 'Password of the PKCS#12 keystore or of the PEM private key.' },
    keystoreType: { type: 'string', enum: ['pkcs12', 'pem'], default: 'pkcs12', description: 'Format of the keystore file (Java JKS is not supported; convert it with keytool -importkeystore to PKCS12).' },
    maxConnections: { type: 'integer', minimum: 0, default: 1000, description: 'Most client connections served at once (with maxFrameSize, this bounds the memory clients can hold); further connections are closed at once. 0: no limit.' },
  } as const;
}

/** Names of {@link rpcSourceSchemaProperties}, for a schema's `required` list. */
export const RPC_SOURCE_REQUIRED = ['bind', 'port', 'ssl', 'keystore', 'keystorePassword', 'keystoreType', 'maxConnections'] as const;

/** Flume's source keys that map to {@link RpcSourceConfig} fields (the rest are spelled alike). */
export const RPC_SOURCE_FLUME_KEYS: Readonly<Record<string, string>> = {
  'keystore-password': 'keystorePassword',
  'keystore-type': 'keystoreType',
};

/** The mistakes of {@link RpcSourceConfig} that show from the config alone (ssl without a keystore). Pure. */
export function rpcSourceProblems(config: RpcSourceConfig): Problem[] {
  if (!config.ssl || config.keystore !== '') return [];
  return [{ path: '/keystore', message: 'ssl is true but no keystore is set; point keystore at a PKCS#12 file (or a PEM file with keystoreType: pem)' }];
}

/**
 * The server side of a Flume RPC tier (avro, thrift): listens on bind:port, plain or TLS from a
 * keystore (re-read on SIGHUP through {@link TlsReloadable}), refuses connections beyond
 * maxConnections (ConnectionRejectedCount), closes connections idle for idleTimeout, keeps
 * OpenConnectionCount, startTime and stopTime. `stop` stops listening, waits until every
 * connection has answered the call it is serving, then drops them all.
 *
 * Subclasses give the protocol's name and {@link serve}, which the base calls once per accepted
 * socket (TCP no-delay is set, the idle timer armed); `serve` makes the protocol's connection
 * and hands it to {@link track} so `stop` can wait for it. The constructor does not validate:
 * the subclass throws its own config problems (including {@link rpcSourceProblems}).
 */
export abstract class RpcSource<C extends RpcSourceConnection> implements EventDrivenSource, TlsReloadable {
  readonly name: string;
  private server: net.Server | undefined;
  private listening: TcpListening | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly connections = new Set<C>();

  /**
   * `tier` names the protocol in logs and errors ('avro'); `idleTimeoutMs` is how long a
   * connection may send nothing before it is closed (0: never).
   */
  constructor(private readonly tier: string, private readonly rpc: RpcSourceConfig, protected readonly ctx: SourceContext, private readonly idleTimeoutMs = 0) {
    this.name = ctx.name;
    ctx.metrics.gauge('OpenConnectionCount', () => this.sockets.size);
  }

  /** Starts serving one accepted socket: makes the protocol's connection and passes it to {@link track}. */
  protected abstract serve(socket: net.Socket, peer: string): void;

  /** Fields added to the "listening" log line (the protocol's own settings). */
  protected listeningFields(): Record<string, unknown> {
    return {};
  }

  /** Logs a connection refused because maxConnections was reached; a source that throttles its warnings overrides it. */
  protected connectionRefused(fields: Record<string, unknown>): void {
    this.ctx.logger.warn(fields, `${this.tier} source: connection refused, maxConnections reached`);
  }

  /** The client's address as logs show it, `address:port`. */
  protected peerOf(socket: net.Socket): string {
    return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
  }

  /** Keeps `connection` (of `socket`) until the socket closes, so `stop` waits for its call. */
  protected track(connection: C, socket: net.Socket): void {
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  get logger() {
    return this.ctx.logger;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.listening?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { tier, rpc } = this;
    const server = rpc.ssl
      ? tls.createServer(this.tlsOptions()).on('secureConnection', (socket: tls.TLSSocket) => this.accept(socket))
      : net.createServer((socket) => this.accept(socket));
    if (rpc.ssl) server.on('tlsClientError', (err) => this.ctx.logger.debug({ err }, `${tier} source: a client failed the TLS handshake`));
    this.listening = await listenTcp(server, rpc.port, rpc.bind).catch((cause: unknown) => {
      throw new SluiceError('SLUICE_COMPONENT_START', `${tier} source '${this.name}' cannot listen on ${rpc.bind}:${rpc.port} (${errorCode(cause) ?? (cause as Error).message}); pick a free port or another bind address`, { cause });
    });
    server.on('error', (err) => this.ctx.logger.error({ err }, `${tier} server error`));
    if (rpc.maxConnections > 0) {
      server.maxConnections = rpc.maxConnections;
      server.on('drop', (peer) => {
        this.ctx.metrics.inc('ConnectionRejectedCount');
        this.connectionRefused({ peer: peer?.remoteAddress, maxConnections: rpc.maxConnections });
      });
    }
    this.server = server;
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ bind: rpc.bind, port: this.port, ssl: rpc.ssl, ...this.listeningFields() }, `${tier} source listening`);
  }

  /** Re-reads the keystore for new connections (SIGHUP); a bad file keeps the old certificate. */
  reloadTls(): Promise<TlsReloadOutcome> {
    return reloadServerTls(this.rpc.ssl && this.server ? [this.server as tls.Server] : [], () => this.tlsOptions(), this.ctx.logger, `${this.tier} source '${this.name}'`);
  }

  /**
   * Commits the events of one call through the agent's source path and says what to answer: OK
   * once every required channel committed them, FAILED (the sender retries) when one refused
   * them, logged at debug for a full channel and warn otherwise. Called by the protocol's
   * connection, one call at a time per connection. `single` marks an `append` call, counted in
   * AppendReceivedCount/AppendAcceptedCount; batches and ChannelWriteFail are counted by the
   * source path itself.
   */
  async deliver(events: SluiceEvent[], single: boolean): Promise<'OK' | 'FAILED'> {
    const { metrics } = this.ctx;
    if (single) metrics.inc('AppendReceivedCount');
    try {
      await this.ctx.deliver(events);
    } catch (error) {
      const code = errorCode(error);
      this.ctx.logger[code === 'SLUICE_CHANNEL_FULL' ? 'debug' : 'warn']({ err: error, code, events: events.length }, `${this.tier} source could not commit a batch; answered FAILED so the sender retries`);
      return 'FAILED';
    }
    if (single) metrics.inc('AppendAcceptedCount');
    return 'OK';
  }

  /** Counts a malformed call or frame (EventReadFail) and reports it as component.error; called by the protocol's connection. */
  readFailed(error: unknown): void {
    this.ctx.metrics.inc('EventReadFail');
    this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
  }

  async stop(): Promise<void> {
    const { server, listening } = this;
    if (!server || !listening) return;
    this.server = undefined;
    this.listening = undefined;
    const closed = listening.close();
    // Answer the calls being committed, then drop every connection.
    await Promise.allSettled([...this.connections].map((c) => c.idle));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.ctx.metrics.stopTime = Date.now();
  }

  private tlsOptions(): tls.TlsOptions {
    const { keystore, keystorePassword, keystoreType } = this.rpc;
    let data: Buffer;
    try {
      data = readFileSync(keystore);
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `${this.tier} source '${this.name}' cannot read keystore ${keystore}; check the path and permissions`, { cause });
    }
    const passphrase = keystorePassword === '' ? undefined : keystorePassword;
    // TLS 1.2 at least, whatever node's --tls-min-v1.x flags say.
    return { minVersion: 'TLSv1.2', ...(keystoreType === 'pem' ? { cert: data, key: data } : { pfx: data }), ...(passphrase ? { passphrase } : {}) };
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.ctx.logger.debug({ err }, `${this.tier} client connection error`));
    const peer = this.peerOf(socket);
    socket.setNoDelay(true);
    if (this.idleTimeoutMs > 0) {
      // A connection that sends nothing (not even a ping) for idleTimeout is closed; Flume's clients reconnect.
      socket.setTimeout(this.idleTimeoutMs, () => {
        this.ctx.logger.debug({ peer, idleTimeoutMs: this.idleTimeoutMs }, `${this.tier} client idle; closing its connection`);
        socket.destroy();
      });
    }
    this.serve(socket, peer);
  }
}
