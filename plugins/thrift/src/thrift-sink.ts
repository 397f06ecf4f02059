import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import {
  Backoff, BatchSink, defineComponent, DURATION_PATTERN, errorCode, parseDuration, SluiceError, type SinkContext, type SluiceEvent,
} from '@sluice/core';
import { KERBEROS_REFUSED } from './thrift-source.js';
import { ThriftRpcClient, type ThriftRpcClientOptions } from './thrift-rpc-client.js';
import type { ThriftProtocolName } from './thrift-protocol.js';

/** Config of the `thrift` sink. */
export interface ThriftSinkConfig {
  hostname: string;
  port: number;
  protocol: ThriftProtocolName;
  batchSize: number;
  connectTimeout: string;
  requestTimeout: string;
  resetConnectionInterval: string;
  reconnectBackoff: string;
  maxReconnectBackoff: string;
  ssl: boolean;
  trustAllCerts: boolean;
  truststore: string;
  kerberos: boolean;
}

/**
 * Flume's thrift sink: sends each batch as one `appendBatch` call to a thrift source (Flume's or
 * Sluice's, framed transport, compact or binary protocol) and commits the channel transaction only
 * when the answer is OK. Anything else rolls the batch back: FAILED, ERROR, UNKNOWN, a timeout or a
 * broken connection with a retriable SLUICE_DELIVERY_FAILED; a TApplicationException answer (the
 * collector refused the call itself, e.g. a batch over its limit) with a non-retriable
 * SLUICE_EVENT_REJECTED, which a dead-letter channel can take. A failed connection is retried no
 * sooner than a growing backoff allows; meanwhile `process` fails fast, so a load_balance or
 * failover group moves on to another sink.
 */
export class ThriftSink extends BatchSink {
  private client: ThriftRpcClient | undefined;
  private connectedAt = 0;
  /** The eager connection attempt made at start, awaited by the first batch. */
  private connecting: Promise<void> | undefined;
  /** Aborted by stop, so a connection attempt in progress does not outlive the sink. */
  private abort = new AbortController();
  private nextConnectAt = 0;
  private readonly backoff: Backoff;
  private readonly resetIntervalMs: number;
  private readonly clientOptions: ThriftRpcClientOptions;

  constructor(private readonly config: ThriftSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.backoff = new Backoff(parseDuration(config.reconnectBackoff), parseDuration(config.maxReconnectBackoff));
    this.resetIntervalMs = parseDuration(config.resetConnectionInterval);
    this.clientOptions = {
      host: config.hostname,
      port: config.port,
      connectTimeoutMs: parseDuration(config.connectTimeout),
      requestTimeoutMs: parseDuration(config.requestTimeout),
      protocol: config.protocol,
    };
    if (config.kerberos) throw new SluiceError('SLUICE_CONFIG_INVALID', `thrift sink '${ctx.name}': ${KERBEROS_REFUSED}`);
  }

  protected override async onStart(): Promise<void> {
    this.abort = new AbortController();
    if (this.config.ssl) this.clientOptions.tls = this.tlsOptions();
    // Connect eagerly but do not hold up the agent's start on a slow or unreachable collector;
    // like Flume, a collector that is down at start is not fatal and batches are retried.
    this.connecting = this.ensureClient().then(() => undefined, (error: unknown) => {
      this.ctx.logger.warn({ err: error, code: errorCode(error), target: this.where }, 'thrift sink could not connect at start; it will keep retrying');
    });
  }

  protected override async onStop(): Promise<void> {
    this.abort.abort();
    await this.connecting;
    this.dropClient();
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    const client = await this.ensureClient();
    let status;
    try {
      status = await client.appendBatch(events);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'SLUICE_EVENT_REJECTED') throw error; // refused by the collector; the connection is fine
      this.dropClient();
      if (code === 'SLUICE_DELIVERY_FAILED') throw error;
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `thrift sink '${this.name}' -> ${this.where}: ${(error as Error).message}`, { cause: error });
    }
    if (status !== 'OK') {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `thrift sink '${this.name}': ${this.where} answered ${status} for a batch of ${events.length} events (its channel is full or failing); the batch stays in the channel and is retried`, { details: { status } });
    }
  }

  private get where(): string {
    return `${this.config.hostname}:${this.config.port}`;
  }

  private async ensureClient(): Promise<ThriftRpcClient> {
    if (this.connecting) {
      const pending = this.connecting;
      this.connecting = undefined;
      await pending;
    }
    const now = Date.now();
    if (this.client && (!this.client.open || (this.resetIntervalMs > 0 && now - this.connectedAt >= this.resetIntervalMs))) {
      this.dropClient();
    }
    if (this.client) return this.client;
    if (now < this.nextConnectAt) {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `thrift sink '${this.name}': ${this.where} was unreachable; next connection attempt in ${this.nextConnectAt - now} ms`, { details: { backoff: true } });
    }
    try {
      this.client = await ThriftRpcClient.connect(this.clientOptions, this.abort.signal);
    } catch (error) {
      this.ctx.metrics.inc('ConnectionFailedCount');
      this.nextConnectAt = Date.now() + this.backoff.next();
      throw error;
    }
    this.backoff.reset();
    this.connectedAt = Date.now();
    this.ctx.metrics.inc('ConnectionCreatedCount');
    this.ctx.logger.debug({ target: this.where }, 'thrift sink connected');
    return this.client;
  }

  private dropClient(): void {
    if (!this.client) return;
    this.client.close();
    this.client = undefined;
    this.ctx.metrics.inc('ConnectionClosedCount');
  }

  private tlsOptions(): tls.ConnectionOptions {
    if (this.config.trustAllCerts) return { rejectUnauthorized: false };
    if (this.config.truststore === '') return {};
    try {
      return { ca: readFileSync(this.config.truststore) };
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `thrift sink '${this.name}' cannot read truststore ${this.config.truststore}; check the path (a PEM file of CA certificates)`, { cause });
    }
  }
}

const FLUME_KEYS: Record<string, string> = {
  'batch-size': 'batchSize',
  'connect-timeout': 'connectTimeout',
  'request-timeout': 'requestTimeout',
  'reset-connection-interval': 'resetConnectionInterval',
  'connection-reset-interval': 'resetConnectionInterval',
  'trust-all-certs': 'trustAllCerts',
};
/** Flume keys with no meaning here: Kerberos names go with kerberos, which is refused; the pool is one connection per sink. */
const IGNORED_FLUME_KEYS = new Set(['client-principal', 'client-keytab', 'server-principal', 'connection-pool-size', 'maxIoWorkers']);

export const thriftSink = defineComponent<'sink', ThriftSinkConfig>({
  kind: 'sink',
  type: 'thrift',
  description: 'Thrift RPC client wire-compatible with Flume\'s thrift sink (ThriftSourceProtocol.appendBatch, framed transport, compact or binary protocol, optional TLS): sends batches to a Flume or Sluice thrift source.',
  guarantee: 'At-least-once: the channel transaction commits only after the next hop answered OK (it has committed the batch); otherwise the batch is rolled back and resent, which may duplicate.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hostname: { type: 'string', minLength: 1, description: 'Host of the thrift source to send to.' },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Port of the thrift source.' },
      protocol: { type: 'string', enum: ['compact', 'binary'], default: 'compact', description: 'Thrift protocol inside the framed transport (Flume\'s default is compact); the source must use the same.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Events taken per transaction and sent in one appendBatch call.' },
      connectTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '20s', description: 'Limit for connecting and the TLS handshake.' },
      requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '20s', description: 'Limit for the answer to one call; on timeout the connection is dropped and the batch retried.' },
      resetConnectionInterval: { type: 'string', pattern: DURATION_PATTERN, default: '0', description: 'Reconnect after this long (so a load balancer in front of collectors rebalances); 0 keeps the connection.' },
      reconnectBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '500ms', description: 'Wait after a failed connection attempt before the next one, doubled per failure.' },
      maxReconnectBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'Longest wait between connection attempts.' },
      ssl: { type: 'boolean', default: false, description: 'Connect with TLS.' },
      trustAllCerts: { type: 'boolean', default: false, description: 'Accept any server certificate (testing only: no protection against impostors).' },
      truststore: { type: 'string', default: '', description: 'PEM file of CA certificates to trust instead of the system CAs (Java JKS truststores are not read; export them to PEM).' },
      kerberos: { type: 'boolean', default: false, description: 'Flume\'s Kerberos (SASL) mode: not supported, true is refused at validation.' },
    },
    required: ['hostname', 'port', 'protocol', 'batchSize', 'connectTimeout', 'requestTimeout', 'resetConnectionInterval', 'reconnectBackoff', 'maxReconnectBackoff', 'ssl', 'trustAllCerts', 'truststore', 'kerberos'],
  },
  check: (config) => (config.kerberos ? [{ path: '/kerberos', message: KERBEROS_REFUSED }] : []),
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (IGNORED_FLUME_KEYS.has(key)) continue;
      const name = FLUME_KEYS[key] ?? key;
      if (name === 'connectTimeout' || name === 'requestTimeout') config[name] = /^[0-9]+$/.test(value) ? `${value}ms` : value;
      else if (name === 'resetConnectionInterval') config[name] = /^[0-9]+$/.test(value) ? `${value}s` : value;
      else if (name === 'protocol') config[name] = value.toLowerCase();
      else config[name] = value;
    }
    return config;
  },
  create: (config, ctx) => new ThriftSink(config, ctx),
});
