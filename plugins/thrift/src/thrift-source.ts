import type net from 'node:net';
import {
  defineComponent, DURATION_PATTERN, parseDuration, parseSize, RPC_SOURCE_FLUME_KEYS, RPC_SOURCE_REQUIRED, RpcSource, rpcSourceProblems, rpcSourceSchemaProperties,
  SIZE_PATTERN, throwConfigProblems, type Problem, type RpcSourceConfig, type SourceContext,
} from '@sluice/core';
import { ThriftConnection, type ThriftConnectionHost } from './thrift-connection.js';
import type { ThriftProtocolName } from './thrift-protocol.js';

/** Config of the `thrift` source. */
export interface ThriftSourceConfig extends RpcSourceConfig {
  protocol: ThriftProtocolName;
  kerberos: boolean;
  maxFrameSize: string;
  frameTimeout: string;
  maxBatchEvents: number;
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
export class ThriftSource extends RpcSource<ThriftConnection> implements ThriftConnectionHost {
  readonly protocol: ThriftProtocolName;
  readonly maxFrameBytes: number;
  readonly maxBatchEvents: number;
  readonly frameTimeoutMs: number;

  constructor(config: ThriftSourceConfig, ctx: SourceContext) {
    super('thrift', config, ctx);
    this.protocol = config.protocol;
    this.maxFrameBytes = parseSize(config.maxFrameSize);
    this.maxBatchEvents = config.maxBatchEvents;
    this.frameTimeoutMs = parseDuration(config.frameTimeout);
    throwConfigProblems(thriftSourceProblems(config), `thrift source '${ctx.name}'`);
  }

  protected override listeningFields(): Record<string, unknown> {
    return { protocol: this.protocol };
  }

  protected serve(socket: net.Socket, peer: string): void {
    this.track(new ThriftConnection(socket, this, peer), socket);
  }
}

/** What the constructor would refuse, from the config alone (the `check` of the definition). Pure. */
export function thriftSourceProblems(config: ThriftSourceConfig): Problem[] {
  const problems: Problem[] = [];
  if (config.kerberos) problems.push({ path: '/kerberos', message: KERBEROS_REFUSED });
  problems.push(...rpcSourceProblems(config));
  return problems;
}

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
      ...rpcSourceSchemaProperties(),
      protocol: { type: 'string', enum: ['compact', 'binary'], default: 'compact', description: 'Thrift protocol inside the framed transport (Flume\'s default is compact); the sender must use the same.' },
      kerberos: { type: 'boolean', default: false, description: 'Flume\'s Kerberos (SASL) mode: not supported, true is refused at validation.' },
      maxFrameSize: { type: 'string', pattern: SIZE_PATTERN, default: '16MiB', description: 'Largest framed message a client may send; a larger frame closes the connection.' },
      frameTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long a started frame may take to arrive whole before the connection is closed, so a client that announces a length and never sends it cannot hold the connection and up to maxFrameSize of memory. 0: no limit.' },
      maxBatchEvents: { type: 'integer', minimum: 1, default: 100000, description: 'Most events in one appendBatch call; a larger batch is answered with a TApplicationException.' },
    },
    required: [...RPC_SOURCE_REQUIRED, 'protocol', 'kerberos', 'maxFrameSize', 'frameTimeout', 'maxBatchEvents'],
  },
  resources: (config) => (config.port === 0 ? [] : [{ id: `tcp:${config.port}`, key: 'port' }]),
  check: thriftSourceProblems,
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (IGNORED_FLUME_KEYS.has(key)) continue;
      const name = RPC_SOURCE_FLUME_KEYS[key] ?? key;
      config[name] = name === 'keystoreType' || name === 'protocol' ? value.toLowerCase() : value;
    }
    return config;
  },
  create: (config, ctx) => new ThriftSource(config, ctx),
});
