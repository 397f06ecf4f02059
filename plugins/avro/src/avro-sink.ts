import type tls from 'node:tls';
import {
  defineComponent, RPC_SINK_FLUME_KEYS, RPC_SINK_REQUIRED, RpcBatchSink, rpcSinkFlumeValue, rpcSinkSchemaProperties, type RpcBatchSinkConfig, type SinkContext,
} from '@sluice/core';
import { AvroRpcClient } from './avro-rpc-client.js';

/** Config of the `avro` sink. */
export interface AvroSinkConfig extends RpcBatchSinkConfig {
  compressionType: 'none' | 'deflate';
  compressionLevel: number;
}

/**
 * Flume's avro sink: sends each batch as one `appendBatch` call to an avro source (Flume's or
 * Sluice's) and commits the channel transaction only when the answer is OK. FAILED, a timeout or a
 * broken connection roll the batch back as a retriable SLUICE_DELIVERY_FAILED; an Avro error answer
 * (the collector refused the call itself, e.g. a batch over its limit) as a non-retriable
 * SLUICE_EVENT_REJECTED, which a dead-letter channel can take. Connection handling is core's
 * {@link RpcBatchSink}.
 */
export class AvroSink extends RpcBatchSink<AvroRpcClient> {
  constructor(private readonly config: AvroSinkConfig, ctx: SinkContext) {
    super('avro', config, ctx);
  }

  protected connect(tlsOptions: tls.ConnectionOptions | undefined, signal: AbortSignal): Promise<AvroRpcClient> {
    return AvroRpcClient.connect({
      host: this.config.hostname,
      port: this.config.port,
      connectTimeoutMs: this.connectTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      ...(this.config.compressionType === 'deflate' ? { compressionLevel: this.config.compressionLevel } : {}),
      ...(tlsOptions ? { tls: tlsOptions } : {}),
    }, signal);
  }
}

const FLUME_KEYS: Record<string, string> = {
  ...RPC_SINK_FLUME_KEYS,
  'compression-type': 'compressionType',
  'compression-level': 'compressionLevel',
};

export const avroSink = defineComponent<'sink', AvroSinkConfig>({
  kind: 'sink',
  type: 'avro',
  description: 'Avro RPC client wire-compatible with Flume\'s avro sink: sends batches to a Flume or Sluice avro source (tiers, fan-in).',
  guarantee: 'At-least-once: the channel transaction commits only after the next hop answered OK (it has committed the batch); otherwise the batch is rolled back and resent, which may duplicate.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...rpcSinkSchemaProperties('avro'),
      compressionType: { type: 'string', enum: ['none', 'deflate'], default: 'none', description: 'deflate zlib-compresses the whole stream both ways; the source must use the same setting.' },
      compressionLevel: { type: 'integer', minimum: 0, maximum: 9, default: 6, description: 'zlib level (0-9) when compressionType is deflate.' },
    },
    required: [...RPC_SINK_REQUIRED, 'compressionType', 'compressionLevel'],
  },
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'maxIoWorkers') {
        flume?.warn(key, 'sizes the Java (Netty) I/O thread pool; Node serves every connection on one event loop and ignores it');
        continue;
      }
      if (/^(truststore-password|truststore-type|exclude-protocols|include-protocols|exclude-cipher-suites|include-cipher-suites)$/.test(key)) {
        flume?.warn(key, 'configures Java TLS (key stores, JSSE protocol lists); Sluice reads PEM files and uses Node\'s protocol defaults');
        continue;
      }
      const name = FLUME_KEYS[key] ?? key;
      config[name] = name === 'compressionType' ? value.toLowerCase() : rpcSinkFlumeValue(name, value);
    }
    return config;
  },
  create: (config, ctx) => new AvroSink(config, ctx),
});
