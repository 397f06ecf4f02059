import type { FlumeTranslation } from '@sluice/core';
import type { KeepFields } from './syslog-parser.js';

/** `none`, `all`, `true`, `false`, or a space- or comma-separated list of Flume's keepFields words. */
const KEEP_FIELDS_PATTERN = '^\\s*(none|all|true|false|((priority|version|timestamp|hostname)[\\s,]*)+)\\s*$';

/** Config keys shared by `syslog_tcp` and `syslog_udp`. */
export interface SyslogCommonConfig {
  host: string;
  port: number;
  eventSize: number;
  keepFields: KeepFields;
  clientIPHeader: string;
  clientHostnameHeader: string;
  structuredDataHeaders: boolean;
  batchSize: number;
}

/** JSON Schema properties of {@link SyslogCommonConfig}; every one but `port` has a default. */
export const SYSLOG_COMMON_PROPERTIES = {
  host: { type: 'string', default: '127.0.0.1', description: 'Address to listen on (Flume `host`, which Flume requires); 0.0.0.0 for every interface.' },
  port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Port to listen on (0 picks a free port, logged at start).' },
  eventSize: { type: 'integer', minimum: 16, default: 2500, description: 'Longest message in bytes; longer ones are cut here and get `flume.syslog.status: Incomplete`, and (as in Flume) the rest follows as further events of at most this size, marked `Invalid`.' },
  keepFields: {
    type: 'string', pattern: KEEP_FIELDS_PATTERN, default: 'none',
    description: 'Header fields kept in the body, as Flume `keepFields`: `none` (or `false`) keeps the message only; `all` (or `true`) the whole raw syslog line; or a list of `priority`, `version`, `timestamp`, `hostname` (e.g. `hostname timestamp`) put back in front of the message in syslog order.',
  },
  clientIPHeader: { type: 'string', default: '', description: 'Header that receives the sender\'s IP address; empty for none.' },
  clientHostnameHeader: { type: 'string', default: '', description: 'Header that receives the sender\'s host name (reverse lookup through the system resolver, cached 5 minutes; the IP when it has none); empty for none.' },
  structuredDataHeaders: { type: 'boolean', default: false, description: 'Also split RFC 5424 structured data into one header per parameter, `sd.<SD-ID>.<name>` (the raw text stays in `structuredData`).' },
  batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Most events committed in one channel transaction (keep it <= the channel transactionCapacity).' },
} as const;

/** Names of {@link SYSLOG_COMMON_PROPERTIES} that have defaults, for `required`. */
export const SYSLOG_COMMON_REQUIRED = ['host', 'port', 'eventSize', 'keepFields', 'clientIPHeader', 'clientHostnameHeader', 'structuredDataHeaders', 'batchSize'] as const;

/**
 * Flume's syslog keys: `keepFields` true/false become all/none, multiport's space-separated
 * `ports` become `port` plus `ports`; other keys are camelCased and left to validation.
 */
export function syslogFromFlume(properties: Record<string, string>, flume?: FlumeTranslation): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (key === 'ssl') {
      if (value.trim() === 'true') flume?.refuse(key, 'turns on TLS with a Java key store; Sluice\'s syslog TLS reads PEM files', 'convert the key store to PEM and set tls in a YAML topology (sluice migrate writes one)');
    } else if (/^(keystore|keystore-password|keystore-type|exclude-protocols|include-protocols|exclude-cipher-suites|include-cipher-suites)$/.test(key)) {
      flume?.warn(key, 'configures Java TLS (key stores, JSSE protocol lists); Sluice\'s TLS reads PEM files and uses Node\'s protocol defaults');
    } else if (key === 'numProcessors' || key === 'readBufferSize') {
      flume?.warn(key, 'tunes the Java (Mina) server of multiport_syslogtcp; Sluice has no equivalent and ignores it');
    } else if (key === 'charset.default' || key.startsWith('charset.port.')) {
      if (!/^utf-?8$/i.test(value.trim())) flume?.refuse(key, `${value.trim()}: Sluice decodes syslog messages as UTF-8 only`, 'send UTF-8, or remove the key if the senders do');
      else flume?.warn(key, 'UTF-8 is what Sluice decodes anyway');
    } else if (key === 'keepFields') {
      config.keepFields = value === 'true' ? 'all' : value === 'false' ? 'none' : value;
    } else if (key === 'ports') {
      // multiport_syslogtcp: the first port is `port`, the others `ports`.
      const [first, ...rest] = value.trim().split(/[\s,]+/).map(Number);
      config.port = first;
      config.ports = rest;
    }
    else config[key.replace(/[-.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return config;
}
