import type tls from 'node:tls';
import {
  defineComponent, RPC_SINK_FLUME_KEYS, RPC_SINK_REQUIRED, RpcBatchSink, rpcSinkFlumeValue, rpcSinkSchemaProperties, SluiceError, type RpcBatchSinkConfig, type SinkContext,
} from '@sluice/core';
import { KERBEROS_REFUSED } from './thrift-source.js';
import { ThriftRpcClient } from './thrift-rpc-client.js';
import type { ThriftProtocolName } from './thrift-protocol.js';

/** Config of the `thrift` sink. */
export interface ThriftSinkConfig extends RpcBatchSinkConfig {
  protocol: ThriftProtocolName;
  kerberos: boolean;
}

/**
 * Flume's thrift sink: sends each batch as one `appendBatch` call to a thrift source (Flume's or
 * Sluice's, framed transport, compact or binary protocol) and commits the channel transaction only
 * when the answer is OK. FAILED, ERROR, UNKNOWN, a timeout or a broken connection roll the batch
 * back as a retriable SLUICE_DELIVERY_FAILED; a TApplicationException answer (the collector refused
 * the call itself, e.g. a batch over its limit) as a non-retriable SLUICE_EVENT_REJECTED, which a
 * dead-letter channel can take. Connection handling is core's {@link RpcBatchSink}.
 */
export class ThriftSink extends RpcBatchSink<ThriftRpcClient> {
  constructor(private readonly config: ThriftSinkConfig, ctx: SinkContext) {
    super('thrift', config, ctx);
    if (config.kerberos) throw new SluiceError('SLUICE_CONFIG_INVALID', `thrift sink '${ctx.name}': ${KERBEROS_REFUSED}`);
  }

  protected connect(tlsOptions: tls.ConnectionOptions | undefined, signal: AbortSignal): Promise<ThriftRpcClient> {
    return ThriftRpcClient.connect({
      host: this.config.hostname,
      port: this.config.port,
      connectTimeoutMs: this.connectTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      protocol: this.config.protocol,
      ...(tlsOptions ? { tls: tlsOptions } : {}),
    }, signal);
  }
}

const FLUME_KEYS: Record<string, string> = {
  ...RPC_SINK_FLUME_KEYS,
  'connection-reset-interval': 'resetConnectionInterval',
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
      ...rpcSinkSchemaProperties('thrift'),
      protocol: { type: 'string', enum: ['compact', 'binary'], default: 'compact', description: 'Thrift protocol inside the framed transport (Flume\'s default is compact); the source must use the same.' },
      kerberos: { type: 'boolean', default: false, description: 'Flume\'s Kerberos (SASL) mode: not supported, true is refused at validation.' },
    },
    required: [...RPC_SINK_REQUIRED, 'protocol', 'kerberos'],
  },
  check: (config) => (config.kerberos ? [{ path: '/kerberos', message: KERBEROS_REFUSED }] : []),
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (IGNORED_FLUME_KEYS.has(key)) continue;
      const name = FLUME_KEYS[key] ?? key;
      config[name] = name === 'protocol' ? value.toLowerCase() : rpcSinkFlumeValue(name, value);
    }
    return config;
  },
  create: (config, ctx) => new ThriftSink(config, ctx),
});
