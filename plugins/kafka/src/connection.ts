import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { DURATION_PATTERN, SluiceError, parseDuration, type ComponentContext, type FlumeTranslation, type Logger } from '@sluice/core';

/** SASL mechanisms the components accept (`none` disables SASL). */
export type SaslMechanism = 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';

/**
 * How the kafka channel, source and sink reach the cluster. The same keys, defaults and meaning
 * in all three components: they share {@link CONNECTION_SCHEMA_PROPERTIES}.
 */
export interface KafkaConnectionConfig {
  brokers: string[];
  clientId: string;
  ssl: {
    enabled: boolean;
    ca: string;
    cert: string;
    key: string;
    passphrase: string;
    rejectUnauthorized: boolean;
    servername: string;
  };
  sasl: {
    mechanism: SaslMechanism;
    username: string;
    password: string;
  };
  connectionTimeout: string;
  requestTimeout: string;
  retry: {
    retries: number;
    initialDelay: string;
    maxDelay: string;
  };
}

/** A `host:port` broker address. */
export const BROKER_PATTERN = '^[^\\s:,]+:[0-9]{1,5}$';

/**
 * The JSON Schema properties of {@link KafkaConnectionConfig}; each component spreads them into
 * its own schema and adds {@link CONNECTION_REQUIRED} to its `required` list.
 */
export const CONNECTION_SCHEMA_PROPERTIES = {
  brokers: {
    type: 'array', minItems: 1, items: { type: 'string', pattern: BROKER_PATTERN }, default: ['localhost:9092'],
    description: 'Bootstrap brokers as host:port (Flume: kafka.bootstrap.servers). The client discovers the rest of the cluster from them.',
  },
  clientId: { type: 'string', minLength: 1, default: 'sluice', description: 'Client id sent to the brokers (shows in broker logs and quotas).' },
  ssl: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'TLS to the brokers.',
    properties: {
      enabled: { type: 'boolean', default: false, description: 'Connect with TLS (Flume: security.protocol SSL or SASL_SSL).' },
      ca: { type: 'string', default: '', description: 'PEM file of the CA certificates to trust (relative to the working directory); empty uses the system CAs.' },
      cert: { type: 'string', default: '', description: 'PEM client certificate file for mutual TLS; empty for none.' },
      key: { type: 'string', default: '', description: 'PEM private key file of the client certificate; empty for none.' },
      passphrase: { type: 'string', default: '', description: 'Passphrase of the private key; empty for none.' },
      rejectUnauthorized: { type: 'boolean', default: true, description: 'Refuse brokers whose certificate does not verify. Only turn off for testing.' },
      servername: { type: 'string', default: '', description: 'TLS SNI server name; empty uses the broker host.' },
    },
    required: ['enabled', 'ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized', 'servername'],
  },
  sasl: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'SASL authentication.',
    properties: {
      mechanism: { type: 'string', enum: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'], default: 'none', description: 'SASL mechanism; none disables SASL.' },
      username: { type: 'string', default: '', description: 'SASL user name.' },
      password: { type: 'string', default: '', description: 'SASL password; use ${ENV} substitution rather than writing it in the file.' },
    },
    required: ['mechanism', 'username', 'password'],
  },
  connectionTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '10s', description: 'How long to wait for a TCP (and TLS) connection to a broker.' },
  requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long to wait for a broker to answer a request.' },
  retry: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'Retry policy of the Kafka client for retriable errors (broker down, leader moved), before the component itself backs off and tries again.',
    properties: {
      retries: { type: 'integer', minimum: 0, default: 5, description: 'Retries of one request by the client.' },
      initialDelay: { type: 'string', pattern: DURATION_PATTERN, default: '300ms', description: 'First retry delay; it grows exponentially.' },
      maxDelay: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'Largest retry delay.' },
    },
    required: ['retries', 'initialDelay', 'maxDelay'],
  },
} as const;

/** The connection keys every kafka component lists in `required` (all have defaults). */
export const CONNECTION_REQUIRED = ['brokers', 'clientId', 'ssl', 'sasl', 'connectionTimeout', 'requestTimeout', 'retry'] as const;

function readPem(path: string, what: string, ctx: ComponentContext): string | undefined {
  if (path === '') return undefined;
  const file = resolve(path);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new SluiceError('SLUICE_COMPONENT_START', `Kafka component '${ctx.name}': cannot read ssl.${what} file ${file}; fix the path or leave it empty`, { cause: error });
  }
}

/** kafkajs warnings that do not apply here: the components retry whole transactions themselves. */
const BENIGN = /^Limiting retries for the idempotent producer/;

/** Maps kafkajs log entries onto the component logger: kafkajs errors are logged as warnings because the component retries them itself. */
function logCreator(logger: Logger) {
  return () => ({ level, log }: { namespace: string; level: logLevel; label: string; log: { message: string; [key: string]: unknown } }) => {
    const { message, timestamp: _t, logger: _l, ...fields } = log;
    if (BENIGN.test(message)) logger.debug({ kafkajs: fields }, `kafka client: ${message}`);
    else if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn({ kafkajs: fields }, `kafka client: ${message}`);
    else if (level === logLevel.INFO) logger.debug({ kafkajs: fields }, `kafka client: ${message}`);
    else logger.trace({ kafkajs: fields }, `kafka client: ${message}`);
  };
}

/** The kafkajs client options for a validated connection config (relative file paths resolve against the working directory, like every path in a topology). */
export function kafkaClientConfig(config: KafkaConnectionConfig, ctx: ComponentContext): KafkaConfig {
  const options: KafkaConfig = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: parseDuration(config.connectionTimeout),
    requestTimeout: parseDuration(config.requestTimeout),
    retry: {
      retries: config.retry.retries,
      initialRetryTime: parseDuration(config.retry.initialDelay),
      maxRetryTime: parseDuration(config.retry.maxDelay),
    },
    logLevel: logLevel.INFO,
    logCreator: logCreator(ctx.logger),
  };
  if (config.ssl.enabled) {
    const ca = readPem(config.ssl.ca, 'ca', ctx);
    const cert = readPem(config.ssl.cert, 'cert', ctx);
    const key = readPem(config.ssl.key, 'key', ctx);
    options.ssl = {
      rejectUnauthorized: config.ssl.rejectUnauthorized,
      ...(ca === undefined ? {} : { ca: [ca] }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(config.ssl.passphrase === '' ? {} : { passphrase: config.ssl.passphrase }),
      ...(config.ssl.servername === '' ? {} : { servername: config.ssl.servername }),
    };
  }
  if (config.sasl.mechanism !== 'none') {
    options.sasl = { mechanism: config.sasl.mechanism, username: config.sasl.username, password: config.sasl.password } as SASLOptions;
  }
  return options;
}

/** Creates the kafkajs client of one component. */
export function createKafkaClient(config: KafkaConnectionConfig, ctx: ComponentContext): Kafka {
  return new Kafka(kafkaClientConfig(config, ctx));
}

/** The connection-related Flume properties (`kafka.bootstrap.servers`, ...) translated into config keys; returns the keys it consumed. */
export function connectionFromFlume(properties: Record<string, string>, config: Record<string, unknown>, flume?: FlumeTranslation): Set<string> {
  const used = new Set<string>();
  const take = (key: string): string | undefined => {
    if (!(key in properties)) return undefined;
    used.add(key);
    return properties[key];
  };
  const servers = take('kafka.bootstrap.servers');
  if (servers !== undefined) config.brokers = servers.split(/[\s,]+/).filter(Boolean);
  // Flume 1.6 names, still honoured by Flume 1.11 with a deprecation warning.
  const brokerList = take('brokerList');
  if (brokerList !== undefined) {
    if (servers === undefined) config.brokers = brokerList.split(/[\s,]+/).filter(Boolean);
    flume?.warn('brokerList', 'is the deprecated Flume 1.6 name of kafka.bootstrap.servers: Flume up to 1.9 honoured it, Flume 1.10+ ignores it; Sluice honours it', 'rename it to kafka.bootstrap.servers');
  }
  if (take('zookeeperConnect') !== undefined) {
    // Flume 1.7-1.9 read offsets from ZooKeeper once (migrateZookeeperOffsets) but reached Kafka through the brokers.
    if (config.brokers !== undefined) flume?.warn('zookeeperConnect', 'is ignored: Kafka clients reach the cluster through the brokers (kafka.bootstrap.servers); Flume used ZooKeeper only to migrate old offsets');
    else flume?.refuse('zookeeperConnect', 'Kafka clients no longer find brokers through ZooKeeper (Flume 1.10+ refuses a Kafka component without kafka.bootstrap.servers too)', 'set kafka.bootstrap.servers = broker1:9092,broker2:9092');
  }
  const clientId = take('kafka.client.id') ?? take('kafka.producer.client.id') ?? take('kafka.consumer.client.id');
  if (clientId !== undefined) config.clientId = clientId;
  const protocol = take('kafka.producer.security.protocol') ?? take('kafka.consumer.security.protocol') ?? take('kafka.security.protocol');
  if (protocol !== undefined && /SSL/i.test(protocol)) config.ssl = { enabled: true };
  const mechanism = take('kafka.producer.sasl.mechanism') ?? take('kafka.consumer.sasl.mechanism') ?? take('kafka.sasl.mechanism');
  const sasl: Record<string, unknown> = {};
  if (mechanism !== undefined) sasl.mechanism = mechanism.toLowerCase();
  else if (protocol !== undefined && /^SASL_/i.test(protocol)) sasl.mechanism = 'plain';
  const jaasKey = ['kafka.producer.sasl.jaas.config', 'kafka.consumer.sasl.jaas.config', 'kafka.sasl.jaas.config'].find((k) => k in properties);
  if (jaasKey !== undefined) {
    const jaas = take(jaasKey)!;
    const username = /username\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
    const password = /password\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
    if (username !== undefined) sasl.username = username;
    if (password !== undefined) sasl.password = password;
    if (username === undefined) flume?.warn(jaasKey, 'names no username="..." (a Kerberos or OAuth login module?); kafkajs takes plain or SCRAM credentials only');
  }
  if (Object.keys(sasl).length > 0) config.sasl = sasl;
  for (const [key, what] of [['ssl.truststore.location', 'ca'], ['ssl.keystore.location', 'cert']] as const) {
    const found = [`kafka.producer.${key}`, `kafka.consumer.${key}`, `kafka.${key}`].find((k) => k in properties);
    if (found !== undefined) {
      take(found);
      flume?.warn(found, `is a Java key store; kafkajs reads PEM files`, `convert it to PEM and set ssl.${what} in a YAML topology (sluice migrate)`);
    }
  }
  return used;
}

/**
 * Reports a `kafka.producer.*` / `kafka.consumer.*` key a component's `fromFlume` has no kafkajs
 * equivalent for: Flume passes these to the Java client; kafkajs has its own tuning. Returns true
 * when `key` was such a pass-through key.
 */
export function warnJavaClientKey(key: string, flume?: FlumeTranslation): boolean {
  if (!/^kafka\.(producer|consumer)\./.test(key)) return false;
  flume?.warn(key, 'is passed by Flume to the Java Kafka client; kafkajs has no equivalent setting, so Sluice ignores it');
  return true;
}
