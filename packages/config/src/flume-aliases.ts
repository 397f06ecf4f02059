import type { ComponentKind } from '@sluice/core';

/**
 * Flume type names (aliases, case-insensitive, and the fully-qualified class names users write)
 * mapped onto Sluice type names, by kind. Types not listed keep their lowercased Flume name.
 */
const ALIASES: Record<ComponentKind, Record<string, string>> = {
  source: {
    syslogtcp: 'syslog_tcp', syslogudp: 'syslog_udp', multiport_syslogtcp: 'syslog_tcp', netcatudp: 'netcat_udp',
    'org.apache.flume.source.kafka.kafkasource': 'kafka', 'org.apache.flume.source.http.httpsource': 'http',
    'org.apache.flume.source.avrosource': 'avro', 'org.apache.flume.source.taildir.taildirsource': 'taildir',
    'org.apache.flume.source.spooldirectorysource': 'spooldir', 'org.apache.flume.source.sequencegeneratorsource': 'seq',
    'org.apache.flume.source.netcatsource': 'netcat',
  },
  channel: {
    'org.apache.flume.channel.kafka.kafkachannel': 'kafka', 'org.apache.flume.channel.memorychannel': 'memory',
    'org.apache.flume.channel.file.filechannel': 'file',
  },
  sink: {
    'org.apache.flume.sink.kafka.kafkasink': 'kafka', 'org.apache.flume.sink.hdfs.hdfseventsink': 'hdfs',
    'org.apache.flume.sink.avrosink': 'avro', 'org.apache.flume.sink.loggersink': 'logger',
    'org.apache.flume.sink.rollingfilesink': 'file_roll', 'org.apache.flume.sink.nullsink': 'null',
    'org.apache.flume.sink.http.httpsink': 'http',
  },
  interceptor: {
    'org.apache.flume.interceptor.timestampinterceptor$builder': 'timestamp',
    'org.apache.flume.interceptor.hostinterceptor$builder': 'host',
    'org.apache.flume.interceptor.staticinterceptor$builder': 'static',
    'org.apache.flume.interceptor.regexfilteringinterceptor$builder': 'regex_filter',
    'org.apache.flume.interceptor.regexextractorinterceptor$builder': 'regex_extractor',
    'org.apache.flume.interceptor.searchandreplaceinterceptor$builder': 'search_replace',
    'org.apache.flume.interceptor.removeheaderinterceptor$builder': 'remove_header',
    'org.apache.flume.sink.solr.morphline.uuidinterceptor$builder': 'uuid',
  },
  stage: {},
  selector: {},
  processor: {},
};

/** The Sluice type for a type name found in a Flume .properties file. */
export function sluiceTypeForFlume(kind: ComponentKind, flumeType: string): string {
  const lower = flumeType.trim().toLowerCase();
  return ALIASES[kind][lower] ?? lower;
}

/** `max-line-length` -> `maxLineLength`, `sink.directory` -> `sinkDirectory`. */
export function camelCaseKey(key: string): string {
  return key.replace(/[-.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The default Flume-to-Sluice key translation: camelCase every key, keep the string values. */
export function defaultFromFlume(properties: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) out[camelCaseKey(key)] = value;
  return out;
}
