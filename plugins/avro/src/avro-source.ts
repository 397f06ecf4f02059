import type net from 'node:net';
import {
  ByteBudget, DURATION_PATTERN, LogThrottle, defineComponent, parseDuration, parseSize, RPC_SOURCE_FLUME_KEYS, RPC_SOURCE_REQUIRED, RpcSource, rpcSourceProblems,
  rpcSourceSchemaProperties, SIZE_PATTERN, throwConfigProblems, type Problem, type RpcSourceConfig, type SourceContext,
} from '@sluice/core';
import { AvroWriter } from './avro-binary.js';
import {
  checkClientProtocol, PROTOCOL_HASH, PROTOCOL_JSON, writeHandshakeResponse, type HandshakeMatch, type HandshakeRequest,
} from './avro-source-protocol.js';
import { ipFilterRulesError, isAllowed, normalizeAddress, parseIpFilterRules, type IpFilterRule } from './ip-filter.js';
import { RpcStream } from './rpc-stream.js';
import { SourceConnection, type BadClientKind, type SourceConnectionHost } from './source-connection.js';

/** Config of the `avro` source. */
export interface AvroSourceConfig extends RpcSourceConfig {
  compressionType: 'none' | 'deflate';
  compressionLevel: number;
  ipFilter: boolean;
  ipFilterRules: string;
  maxFrameSize: string;
  maxPendingBytes: string;
  frameTimeout: string;
  idleTimeout: string;
  maxBatchEvents: number;
}

/** Client protocols remembered by hash; beyond this many, the oldest are forgotten. */
const PROTOCOL_CACHE_SIZE = 256;

/**
 * Flume's Avro RPC server: `AvroSourceProtocol.append/appendBatch` over Netty framing with the
 * Avro IPC handshake, so Flume's avro sink, the Flume SDK's RpcClient and Sluice's avro sink can
 * all send to it. Each call is one batch, answered OK only after every required channel committed
 * it, FAILED when a channel refused it (the sender retries). Optional zlib compression of the
 * whole stream, TLS, Flume-syntax IP filtering, and limits on frame size and batch length.
 */
export class AvroSource extends RpcSource<SourceConnection> implements SourceConnectionHost {
  readonly maxFrameBytes: number;
  readonly maxBatchEvents: number;
  readonly frameTimeoutMs: number;
  /** Bytes of unfinished frames held over all connections (maxPendingBytes), under the agent's budget. */
  private readonly pending: ByteBudget;
  private readonly protocols = new Map<string, string>();
  private readonly rules: IpFilterRule[];
  /** One line per 10 s per kind of misbehaving client, with a count: clients cannot flood the log. */
  private readonly warnings: Record<BadClientKind | 'full' | 'filtered', LogThrottle>;

  constructor(private readonly config: AvroSourceConfig, ctx: SourceContext) {
    super('avro', config, ctx, parseDuration(config.idleTimeout));
    this.warnings = {
      frame: new LogThrottle(ctx.logger, 'warn', 'avro client sent a bad frame; closing its connection'),
      call: new LogThrottle(ctx.logger, 'warn', 'avro client sent a malformed call; answered with an error'),
      full: new LogThrottle(ctx.logger, 'warn', 'avro source: connection refused, maxConnections reached'),
      filtered: new LogThrottle(ctx.logger, 'warn', 'avro source: connection refused by ipFilterRules'),
    };
    this.maxFrameBytes = parseSize(config.maxFrameSize);
    this.pending = new ByteBudget(parseSize(config.maxPendingBytes), ctx.inputBudget);
    this.frameTimeoutMs = parseDuration(config.frameTimeout);
    this.maxBatchEvents = config.maxBatchEvents;
    throwConfigProblems(avroSourceProblems(config), `avro source '${ctx.name}'`);
    this.rules = config.ipFilter ? parseIpFilterRules(config.ipFilterRules) : [];
  }

  badClient(kind: BadClientKind, fields: Record<string, unknown>): void {
    this.warnings[kind].log(fields);
  }

  holdPartial(delta: number): boolean {
    if (delta > 0) return this.pending.reserve(delta);
    this.pending.release(-delta);
    return true;
  }

  protected override listeningFields(): Record<string, unknown> {
    return { compressionType: this.config.compressionType };
  }

  protected override connectionRefused(fields: Record<string, unknown>): void {
    this.warnings.full.log(fields);
  }

  protected override peerOf(socket: net.Socket): string {
    return `${normalizeAddress(socket.remoteAddress ?? '?')}:${socket.remotePort ?? 0}`;
  }

  override async stop(): Promise<void> {
    await super.stop();
    for (const warning of Object.values(this.warnings)) warning.flush();
  }

  protected serve(socket: net.Socket, peer: string): void {
    if (this.rules.length === 0) {
      this.open(socket, peer);
      return;
    }
    socket.pause();
    void isAllowed(this.rules, socket.remoteAddress ?? '').then((allowed) => {
      if (allowed) {
        this.open(socket, peer);
        socket.resume();
        return;
      }
      this.ctx.metrics.inc('ConnectionRejectedCount');
      this.warnings.filtered.log({ peer });
      socket.destroy();
    });
  }

  private open(socket: net.Socket, peer: string): void {
    if (socket.destroyed) return;
    const stream = new RpcStream(socket, this.config.compressionType === 'deflate' ? this.config.compressionLevel : undefined);
    this.track(new SourceConnection(stream, this, peer), socket);
  }

  handshake(request: HandshakeRequest): { response: Buffer; established: boolean } {
    const key = request.clientHash.toString('hex');
    let known = this.protocols.has(key);
    if (!known && request.clientProtocol !== null) {
      checkClientProtocol(request.clientProtocol);
      if (this.protocols.size >= PROTOCOL_CACHE_SIZE) this.protocols.delete(this.protocols.keys().next().value!);
      this.protocols.set(key, request.clientProtocol);
      known = true;
    }
    const match: HandshakeMatch = !known ? 'NONE' : request.serverHash.equals(PROTOCOL_HASH) ? 'BOTH' : 'CLIENT';
    const response = writeHandshakeResponse(new AvroWriter(PROTOCOL_JSON.length + 64), {
      match,
      serverProtocol: match === 'BOTH' ? null : PROTOCOL_JSON,
      serverHash: match === 'BOTH' ? null : PROTOCOL_HASH,
      meta: null,
    }).finish();
    return { response, established: match !== 'NONE' };
  }
}

/**
 * What the constructor would refuse in an avro source config, from the config alone (the `check`
 * of the definition): ipFilterRules that do not parse or are empty while ipFilter is on, and ssl
 * without a keystore. Pure: the keystore file is only read at start.
 */
export function avroSourceProblems(config: AvroSourceConfig): Problem[] {
  const problems: Problem[] = [];
  if (config.ipFilter) {
    const error = ipFilterRulesError(config.ipFilterRules);
    if (error !== undefined) problems.push({ path: '/ipFilterRules', message: error });
    else if (parseIpFilterRules(config.ipFilterRules).length === 0) {
      problems.push({ path: '/ipFilterRules', message: 'ipFilter is true but ipFilterRules is empty; add rules like allow:ip:10.*,deny:ip:*' });
    }
  }
  problems.push(...rpcSourceProblems(config));
  return problems;
}

const FLUME_KEYS: Record<string, string> = {
  ...RPC_SOURCE_FLUME_KEYS,
  'compression-type': 'compressionType',
  'compression-level': 'compressionLevel',
};

export const avroSource = defineComponent<'source', AvroSourceConfig>({
  kind: 'source',
  type: 'avro',
  description: 'Avro RPC server wire-compatible with Flume\'s avro source (AvroSourceProtocol over Netty framing): receives from Flume or Sluice avro sinks.',
  guarantee: 'At-least-once: a call is answered OK only after its whole batch was committed to every required channel; FAILED (channel full or any error) or a dropped connection makes the sender retry, which may duplicate.',
  // Every worker process can run it (a listening socket the workers share, or a consumer group).
  capabilities: { shardable: true },
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...rpcSourceSchemaProperties(),
      compressionType: { type: 'string', enum: ['none', 'deflate'], default: 'none', description: 'deflate zlib-compresses the whole stream both ways; the sender must use the same setting.' },
      compressionLevel: { type: 'integer', minimum: 0, maximum: 9, default: 6, description: 'zlib level of what the source sends when compressionType is deflate.' },
      ipFilter: { type: 'boolean', default: false, description: 'Apply ipFilterRules to every new connection.' },
      ipFilterRules: { type: 'string', default: '', description: 'Flume syntax: comma-separated allow|deny:ip|name:pattern with * and ? wildcards, first match wins, no match allows (e.g. allow:ip:127.*,deny:ip:*).' },
      maxFrameSize: { type: 'string', pattern: SIZE_PATTERN, default: '64MiB', description: 'Largest call a client may send; a larger frame is answered with an error and the connection closed.' },
      maxBatchEvents: { type: 'integer', minimum: 1, default: 100000, description: 'Most events in one appendBatch call; a larger batch is answered with an error.' },
      maxPendingBytes: { type: 'string', pattern: SIZE_PATTERN, default: '128MiB', description: 'Most bytes of unfinished frames held over all connections; the connection whose frame would pass it (or the agent\'s maxPendingBytes, shared by all sources) is dropped (its client resends). 0: no limit of its own.' },
      frameTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long a started frame may take to arrive whole before the connection is closed (slow or stuck clients cannot hold memory). 0: no limit.' },
      idleTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '10m', description: 'How long a connection may send nothing before it is closed. 0: never.' },
    },
    required: [...RPC_SOURCE_REQUIRED, 'compressionType', 'compressionLevel', 'ipFilter', 'ipFilterRules', 'maxFrameSize', 'maxPendingBytes', 'frameTimeout', 'idleTimeout', 'maxBatchEvents'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `tcp:${config.port}`, key: 'port' }]),
  check: avroSourceProblems,
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'threads') {
        flume?.warn(key, 'sizes the Java (Netty) worker pool; Node serves every connection on one event loop and ignores it');
        continue;
      }
      if (/^(exclude-protocols|include-protocols|exclude-cipher-suites|include-cipher-suites)$/.test(key)) {
        flume?.warn(key, 'configures JSSE protocol lists; Sluice uses Node\'s TLS protocol defaults');
        continue;
      }
      const name = FLUME_KEYS[key] ?? key;
      config[name] = name === 'keystoreType' || name === 'compressionType' ? value.toLowerCase() : value;
    }
    return config;
  },
  create: (config, ctx) => new AvroSource(config, ctx),
});
