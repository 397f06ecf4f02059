import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import {
  defineComponent, DURATION_PATTERN, errorCode, parseDuration, parseSize, SIZE_PATTERN, SluiceError, throwConfigProblems, type EventDrivenSource, type Problem, type SluiceEvent,
  type SourceContext, reloadServerTls, type TlsReloadable, type TlsReloadOutcome,
} from '@sluice/core';
import { ThriftConnection, type ThriftConnectionHost } from './thrift-connection.js';
import type { ThriftProtocolName } from './thrift-protocol.js';
import type { Status } from './thrift-source-protocol.js';

/** Config of the `thrift` source. */
export interface ThriftSourceConfig {
  bind: string;
  port: number;
  protocol: ThriftProtocolName;
  ssl: boolean;
  keystore: string;
  keystorePassword: string;
  keystoreType: 'pkcs12' | 'pem';
  kerberos: boolean;
  maxFrameSize: string;
  frameTimeout: string;
  maxBatchEvents: number;
  maxConnections: number;
}

/** The Kerberos refusal, shared by the source and the sink. */
export const KERBEROS_REFUSED = 'kerberos is not supported by Sluice\'s thrift components (Flume\'s SASL/GSSAPI transport); set kerberos: false and protect the hop with ssl (TLS) and network rules instead';

/**
 * Flume's Thrift RPC server: `ThriftSourceProtocol.append/appendBatch` over the framed transport with
 * the compact (Flume's default) or binary protocol, optionally inside TLS, so Flume's thrift sink,
 * the Flume SDK's ThriftRpcClient, any client generated from Flume's IDL and Sluice's thrift sink can
 * all send to it. Each call is answered OK only after every required channel committed its events,
 * FAILED when a channel refused them (the sender retries).
 */
export class ThriftSource implements EventDrivenSource, ThriftConnectionHost, TlsReloadable {
  readonly name: string;
  readonly protocol: ThriftProtocolName;
  readonly maxFrameBytes: number;
  readonly maxBatchEvents: number;
  readonly frameTimeoutMs: number;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly connections = new Set<ThriftConnection>();

  constructor(private readonly config: ThriftSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.protocol = config.protocol;
    this.maxFrameBytes = parseSize(config.maxFrameSize);
    this.maxBatchEvents = config.maxBatchEvents;
    this.frameTimeoutMs = parseDuration(config.frameTimeout);
    throwConfigProblems(thriftSourceProblems(config), `thrift source '${ctx.name}'`);
    ctx.metrics.gauge('OpenConnectionCount', () => this.sockets.size);
  }

  get logger() {
    return this.ctx.logger;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as net.AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = this.config.ssl
      ? tls.createServer(this.tlsOptions()).on('secureConnection', (socket: tls.TLSSocket) => this.accept(socket))
      : net.createServer((socket) => this.accept(socket));
    if (this.config.ssl) server.on('tlsClientError', (err) => this.ctx.logger.debug({ err }, 'thrift source: a client failed the TLS handshake'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.bind, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((cause: unknown) => {
      throw new SluiceError('SLUICE_COMPONENT_START', `thrift source '${this.name}' cannot listen on ${this.config.bind}:${this.config.port} (${errorCode(cause) ?? (cause as Error).message}); pick a free port or another bind address`, { cause });
    });
    server.on('error', (err) => this.ctx.logger.error({ err }, 'thrift server error'));
    if (this.config.maxConnections > 0) {
      server.maxConnections = this.config.maxConnections;
      server.on('drop', (peer) => {
        this.ctx.metrics.inc('ConnectionRejectedCount');
        this.ctx.logger.warn({ peer: peer?.remoteAddress, maxConnections: this.config.maxConnections }, 'thrift source: connection refused, maxConnections reached');
      });
    }
    this.server = server;
    this.ctx.metrics.startTime = Date.now();
    this.ctx.logger.info({ bind: this.config.bind, port: this.port, protocol: this.protocol, ssl: this.config.ssl }, 'thrift source listening');
  }

  /** Re-reads the keystore for new connections (SIGHUP); a bad file keeps the old certificate. */
  reloadTls(): Promise<TlsReloadOutcome> {
    return reloadServerTls(this.config.ssl && this.server ? [this.server as tls.Server] : [], () => this.tlsOptions(), this.ctx.logger, `thrift source '${this.name}'`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Answer the calls being committed, then drop every connection.
    await Promise.allSettled([...this.connections].map((c) => c.idle));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.ctx.metrics.stopTime = Date.now();
  }

  private tlsOptions(): tls.TlsOptions {
    const { keystore, keystorePassword, keystoreType } = this.config;
    let data: Buffer;
    try {
      data = readFileSync(keystore);
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `thrift source '${this.name}' cannot read keystore ${keystore}; check the path and permissions`, { cause });
    }
    const passphrase = keystorePassword === '' ? undefined : keystorePassword;
    // TLS 1.2 at least, whatever node's --tls-min-v1.x flags say.
    return { minVersion: 'TLSv1.2', ...(keystoreType === 'pem' ? { cert: data, key: data } : { pfx: data }), ...(passphrase ? { passphrase } : {}) };
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.ctx.logger.debug({ err }, 'thrift client connection error'));
    socket.setNoDelay(true);
    const connection = new ThriftConnection(socket, this, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  async deliver(events: SluiceEvent[], single: boolean): Promise<Status> {
    const { metrics } = this.ctx;
    if (single) metrics.inc('AppendReceivedCount');
    else metrics.inc('AppendBatchReceivedCount');
    try {
      await this.ctx.deliver(events);
    } catch (error) {
      const code = errorCode(error);
      metrics.inc('ChannelWriteFail');
      this.ctx.logger[code === 'SLUICE_CHANNEL_FULL' ? 'debug' : 'warn']({ err: error, code, events: events.length }, 'thrift source could not commit a batch; answered FAILED so the sender retries');
      return 'FAILED';
    }
    if (single) metrics.inc('AppendAcceptedCount');
    else metrics.inc('AppendBatchAcceptedCount');
    return 'OK';
  }

  readFailed(error: unknown): void {
    this.ctx.metrics.inc('EventReadFail');
    this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
  }
}

/** What the constructor would refuse, from the config alone (the `check` of the definition). Pure. */
export function thriftSourceProblems(config: ThriftSourceConfig): Problem[] {
  const problems: Problem[] = [];
  if (config.kerberos) problems.push({ path: '/kerberos', message: KERBEROS_REFUSED });
  if (config.ssl && config.keystore === '') {
    problems.push({ path: '/keystore', message: 'ssl is true but no keystore is set; point keystore at a PKCS#12 file (or a PEM file with keystoreType: pem)' });
  }
  return problems;
}

const FLUME_KEYS: Record<string, string> = { 'keystore-password': 'keystorePassword', 'keystore-type': 'keystoreType' };
/** Flume keys with no meaning here: Node serves every connection on one event loop; Kerberos names go with kerberos, which is refused. */
const IGNORED_FLUME_KEYS = new Set(['threads', 'agent-principal', 'agent-keytab']);

export const thriftSource = defineComponent<'source', ThriftSourceConfig>({
  kind: 'source',
  type: 'thrift',
  description: 'Thrift RPC server wire-compatible with Flume\'s thrift source (ThriftSourceProtocol, framed transport, compact or binary protocol, optional TLS): receives from Flume or Sluice thrift sinks and Thrift clients generated from Flume\'s IDL.',
  guarantee: 'At-least-once: a call is answered OK only after its whole batch was committed to every required channel; FAILED (channel full or any error) or a dropped connection makes the sender retry, which may duplicate.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bind: { type: 'string', default: '127.0.0.1', description: 'Address to listen on (0.0.0.0 for every interface).' },
      port: { type: 'integer', minimum: 0, maximum: 65535, description: 'TCP port to listen on (0 picks a free port, logged at start).' },
      protocol: { type: 'string', enum: ['compact', 'binary'], default: 'compact', description: 'Thrift protocol inside the framed transport (Flume\'s default is compact); the sender must use the same.' },
      ssl: { type: 'boolean', default: false, description: 'Serve TLS (the keystore holds the certificate and key).' },
      keystore: { type: 'string', default: '', description: 'Path of the server certificate and key: a PKCS#12 file, or with keystoreType pem a PEM file holding both.' },
      keystorePassword: { type: 'string', default: '', description: 'Password of the PKCS#12 keystore or of the PEM private key.' },
      keystoreType: { type: 'string', enum: ['pkcs12', 'pem'], default: 'pkcs12', description: 'Format of the keystore file (Java JKS is not supported; convert it with keytool -importkeystore to PKCS12).' },
      kerberos: { type: 'boolean', default: false, description: 'Flume\'s Kerberos (SASL) mode: not supported, true is refused at validation.' },
      maxFrameSize: { type: 'string', pattern: SIZE_PATTERN, default: '16MiB', description: 'Largest framed message a client may send; a larger frame closes the connection.' },
      frameTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long a started frame may take to arrive whole before the connection is closed, so a client that announces a length and never sends it cannot hold the connection and up to maxFrameSize of memory. 0: no limit.' },
      maxBatchEvents: { type: 'integer', minimum: 1, default: 100000, description: 'Most events in one appendBatch call; a larger batch is answered with a TApplicationException.' },
      maxConnections: { type: 'integer', minimum: 0, default: 1000, description: 'Most client connections served at once (with maxFrameSize, this bounds the memory clients can hold); further connections are closed at once. 0: no limit.' },
    },
    required: ['bind', 'port', 'protocol', 'ssl', 'keystore', 'keystorePassword', 'keystoreType', 'kerberos', 'maxFrameSize', 'frameTimeout', 'maxBatchEvents', 'maxConnections'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `tcp:${config.port}`, key: 'port' }]),
  check: thriftSourceProblems,
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (IGNORED_FLUME_KEYS.has(key)) continue;
      const name = FLUME_KEYS[key] ?? key;
      config[name] = name === 'keystoreType' || name === 'protocol' ? value.toLowerCase() : value;
    }
    return config;
  },
  create: (config, ctx) => new ThriftSource(config, ctx),
});
