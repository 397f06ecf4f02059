import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import { Backoff } from '../backoff.js';
import { BatchSink } from '../batch-sink.js';
import type { SinkContext } from '../context.js';
import { errorCode, SluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import { DURATION_PATTERN, parseDuration } from '../units.js';

/** One connection of an {@link RpcBatchSink} to the next tier. */
export interface RpcBatchClient {
  /** False once the connection broke or was closed; the sink then connects again. */
  readonly open: boolean;
  /**
   * Sends one batch as one call and resolves the collector's status ('OK' when it committed).
   * Rejects with SLUICE_EVENT_REJECTED when the collector refused the call itself (the connection
   * stays usable), with anything else when the connection is no longer usable.
   */
  appendBatch(events: readonly SluiceEvent[]): Promise<string>;
  close(): void;
}

/** The settings every {@link RpcBatchSink} shares; see {@link RPC_SINK_SCHEMA_PROPERTIES}. */
export interface RpcBatchSinkConfig {
  hostname: string;
  port: number;
  batchSize: number;
  connectTimeout: string;
  requestTimeout: string;
  resetConnectionInterval: string;
  reconnectBackoff: string;
  maxReconnectBackoff: string;
  ssl: boolean;
  trustAllCerts: boolean;
  truststore: string;
}

/** JSON Schema properties of {@link RpcBatchSinkConfig}; `protocol` names the peer in the descriptions. */
// The return type is inferred (literal `type`s, as const) so it spreads into a JSONSchemaType.
export function rpcSinkSchemaProperties(protocol: string) {
  return {
    hostname: { type: 'string', minLength: 1, description: `Host of the ${protocol} source to send to.` },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: `Port of the ${protocol} source.` },
    batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Events taken per transaction and sent in one appendBatch call.' },
    connectTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '20s', description: 'Limit for connecting and the TLS handshake (and the protocol\'s handshake, if it has one).' },
    requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '20s', description: 'Limit for the answer to one call; on timeout the connection is dropped and the batch retried.' },
    resetConnectionInterval: { type: 'string', pattern: DURATION_PATTERN, default: '0', description: 'Reconnect after this long (so a load balancer in front of collectors rebalances); 0 keeps the connection.' },
    reconnectBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '500ms', description: 'Wait after a failed connection attempt before the next one, doubled per failure.' },
    maxReconnectBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'Longest wait between connection attempts.' },
    ssl: { type: 'boolean', default: false, description: 'Connect with TLS.' },
    trustAllCerts: { type: 'boolean', default: false, description: 'Accept any server certificate (testing only: no protection against impostors).' },
    truststore: { type: 'string', default: '', description: 'PEM file of CA certificates to trust instead of the system CAs (Java JKS truststores are not read; export them to PEM).' },
  } as const;
}

/** Names of {@link rpcSinkSchemaProperties}, for a schema's `required` list. */
export const RPC_SINK_REQUIRED = ['hostname', 'port', 'batchSize', 'connectTimeout', 'requestTimeout', 'resetConnectionInterval', 'reconnectBackoff', 'maxReconnectBackoff', 'ssl', 'trustAllCerts', 'truststore'] as const;

/** Flume's sink keys that map to {@link RpcBatchSinkConfig} fields (the rest are spelled alike). */
export const RPC_SINK_FLUME_KEYS: Readonly<Record<string, string>> = {
  'batch-size': 'batchSize',
  'connect-timeout': 'connectTimeout',
  'request-timeout': 'requestTimeout',
  'reset-connection-interval': 'resetConnectionInterval',
  'trust-all-certs': 'trustAllCerts',
};

/** Flume writes connect/request timeouts in milliseconds and the reset interval in seconds: bare numbers get their unit. */
export function rpcSinkFlumeValue(name: string, value: string): string {
  if (!/^[0-9]+$/.test(value)) return value;
  if (name === 'connectTimeout' || name === 'requestTimeout') return `${value}ms`;
  if (name === 'resetConnectionInterval') return `${value}s`;
  return value;
}

/**
 * The sink of a Flume RPC tier (avro, thrift): each batch is one `appendBatch` call to the next
 * tier, and the channel transaction commits only when the answer is OK. Anything else rolls the
 * batch back: a non-OK status, a timeout or a broken connection with a retriable
 * SLUICE_DELIVERY_FAILED; a refused call with the client's non-retriable SLUICE_EVENT_REJECTED,
 * which a dead-letter channel can take. The connection is made eagerly at start without holding
 * the agent up (a collector down at start is not fatal, as in Flume), re-made after
 * `resetConnectionInterval`, and after a failure retried no sooner than a growing backoff allows;
 * meanwhile `write` fails fast, so a load_balance or failover group moves on to another sink.
 *
 * Subclasses give the protocol's name and {@link connect}; the counters ConnectionCreatedCount,
 * ConnectionClosedCount and ConnectionFailedCount are kept here.
 */
export abstract class RpcBatchSink<C extends RpcBatchClient> extends BatchSink {
  private client: C | undefined;
  private connectedAt = 0;
  /** The eager connection attempt made at start, awaited by the first batch. */
  private connecting: Promise<void> | undefined;
  /** Aborted by stop, so a connection attempt in progress does not outlive the sink. */
  private abort = new AbortController();
  private nextConnectAt = 0;
  /** TLS options read at start (the truststore is read then), undefined without ssl. */
  private tls: tls.ConnectionOptions | undefined;
  private readonly backoff: Backoff;
  private readonly resetIntervalMs: number;
  protected readonly connectTimeoutMs: number;
  protected readonly requestTimeoutMs: number;

  constructor(private readonly protocol: string, private readonly rpc: RpcBatchSinkConfig, ctx: SinkContext) {
    super(ctx, rpc.batchSize);
    this.backoff = new Backoff(parseDuration(rpc.reconnectBackoff), parseDuration(rpc.maxReconnectBackoff));
    this.resetIntervalMs = parseDuration(rpc.resetConnectionInterval);
    this.connectTimeoutMs = parseDuration(rpc.connectTimeout);
    this.requestTimeoutMs = parseDuration(rpc.requestTimeout);
  }

  /** Opens one connection (TLS with `tls` when given); rejects when `signal` aborts (the sink stops). */
  protected abstract connect(tls: tls.ConnectionOptions | undefined, signal: AbortSignal): Promise<C>;

  protected override async onStart(): Promise<void> {
    this.abort = new AbortController();
    this.tls = this.rpc.ssl ? this.tlsOptions() : undefined;
    this.connecting = this.ensureClient().then(() => undefined, (error: unknown) => {
      this.ctx.logger.warn({ err: error, code: errorCode(error), target: this.where }, `${this.protocol} sink could not connect at start; it will keep retrying`);
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
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `${this.protocol} sink '${this.name}' -> ${this.where}: ${(error as Error).message}`, { cause: error });
    }
    if (status !== 'OK') {
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `${this.protocol} sink '${this.name}': ${this.where} answered ${status} for a batch of ${events.length} events (its channel is full or failing); the batch stays in the channel and is retried`, { details: { status } });
    }
  }

  /** host:port of the next tier, for messages. */
  protected get where(): string {
    return `${this.rpc.hostname}:${this.rpc.port}`;
  }

  private async ensureClient(): Promise<C> {
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
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `${this.protocol} sink '${this.name}': ${this.where} was unreachable; next connection attempt in ${this.nextConnectAt - now} ms`, { details: { backoff: true } });
    }
    try {
      this.client = await this.connect(this.tls, this.abort.signal);
    } catch (error) {
      this.ctx.metrics.inc('ConnectionFailedCount');
      this.nextConnectAt = Date.now() + this.backoff.next();
      throw error;
    }
    this.backoff.reset();
    this.connectedAt = Date.now();
    this.ctx.metrics.inc('ConnectionCreatedCount');
    this.ctx.logger.debug({ target: this.where }, `${this.protocol} sink connected`);
    return this.client;
  }

  private dropClient(): void {
    if (!this.client) return;
    this.client.close();
    this.client = undefined;
    this.ctx.metrics.inc('ConnectionClosedCount');
  }

  private tlsOptions(): tls.ConnectionOptions {
    if (this.rpc.trustAllCerts) return { rejectUnauthorized: false };
    if (this.rpc.truststore === '') return {};
    try {
      return { ca: readFileSync(this.rpc.truststore) };
    } catch (cause) {
      throw new SluiceError('SLUICE_COMPONENT_START', `${this.protocol} sink '${this.name}' cannot read truststore ${this.rpc.truststore}; check the path (a PEM file of CA certificates)`, { cause });
    }
  }
}
