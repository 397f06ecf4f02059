import type { ComponentKind } from '@sluice/core';

/**
 * Flume's built-in components by kind: every alias Flume accepts (its `XType` enums, matched
 * case-insensitively) and every class name of a Flume 1.11 component (including those that moved
 * to their own repositories: Kafka, Twitter, Elasticsearch, Scribe...), mapped to the Sluice type
 * that plays its part. Keys are lowercase. A Flume built-in without a Sluice counterpart maps to
 * its Flume alias, so the validator can say "Flume's exec source has no Sluice counterpart" (and
 * picks it up the day a plugin provides it).
 */
const BUILTINS: Record<ComponentKind, Record<string, string>> = {
  source: {
    seq: 'seq', 'org.apache.flume.source.sequencegeneratorsource': 'seq',
    netcat: 'netcat', 'org.apache.flume.source.netcatsource': 'netcat',
    netcatudp: 'netcat_udp', 'org.apache.flume.source.netcatudpsource': 'netcat_udp',
    exec: 'exec', 'org.apache.flume.source.execsource': 'exec',
    avro: 'avro', 'org.apache.flume.source.avrosource': 'avro',
    thrift: 'thrift', 'org.apache.flume.source.thriftsource': 'thrift',
    syslogtcp: 'syslog_tcp', 'org.apache.flume.source.syslogtcpsource': 'syslog_tcp',
    multiport_syslogtcp: 'syslog_tcp', 'org.apache.flume.source.multiportsyslogtcpsource': 'syslog_tcp',
    syslogudp: 'syslog_udp', 'org.apache.flume.source.syslogudpsource': 'syslog_udp',
    spooldir: 'spooldir', 'org.apache.flume.source.spooldirectorysource': 'spooldir',
    http: 'http', 'org.apache.flume.source.http.httpsource': 'http',
    jms: 'jms', 'org.apache.flume.source.jms.jmssource': 'jms',
    taildir: 'taildir', 'org.apache.flume.source.taildir.taildirsource': 'taildir',
    'org.apache.flume.source.kafka.kafkasource': 'kafka',
    'org.apache.flume.source.stresssource': 'stress',
    'org.apache.flume.source.twitter.twittersource': 'twitter',
    'org.apache.flume.source.scribe.scribesource': 'scribe',
  },
  channel: {
    memory: 'memory', 'org.apache.flume.channel.memorychannel': 'memory',
    file: 'file', 'org.apache.flume.channel.file.filechannel': 'file',
    jdbc: 'jdbc', 'org.apache.flume.channel.jdbc.jdbcchannel': 'jdbc',
    spillablememory: 'spillablememory', 'org.apache.flume.channel.spillablememorychannel': 'spillablememory',
    'org.apache.flume.channel.kafka.kafkachannel': 'kafka',
    'org.apache.flume.channel.pseudotxnmemorychannel': 'pseudotxnmemory',
  },
  sink: {
    null: 'null', 'org.apache.flume.sink.nullsink': 'null',
    logger: 'logger', 'org.apache.flume.sink.loggersink': 'logger',
    file_roll: 'file_roll', 'org.apache.flume.sink.rollingfilesink': 'file_roll',
    hdfs: 'hdfs', 'org.apache.flume.sink.hdfs.hdfseventsink': 'hdfs',
    irc: 'irc', 'org.apache.flume.sink.irc.ircsink': 'irc',
    avro: 'avro', 'org.apache.flume.sink.avrosink': 'avro',
    thrift: 'thrift', 'org.apache.flume.sink.thriftsink': 'thrift',
    elasticsearch: 'elasticsearch', 'org.apache.flume.sink.elasticsearch.elasticsearchsink': 'elasticsearch',
    hbase: 'hbase', 'org.apache.flume.sink.hbase.hbasesink': 'hbase',
    asynchbase: 'asynchbase', 'org.apache.flume.sink.hbase.asynchbasesink': 'asynchbase',
    hbase2: 'hbase2', 'org.apache.flume.sink.hbase2.hbase2sink': 'hbase2',
    morphline_solr: 'morphline_solr', 'org.apache.flume.sink.solr.morphline.morphlinesolrsink': 'morphline_solr',
    hive: 'hive', 'org.apache.flume.sink.hive.hivesink': 'hive',
    http: 'http', 'org.apache.flume.sink.http.httpsink': 'http',
    'org.apache.flume.sink.kafka.kafkasink': 'kafka',
    'org.apache.flume.sink.kite.datasetsink': 'kite_dataset',
    'org.apache.flume.sink.kudu.kudusink': 'kudu',
  },
  interceptor: {
    timestamp: 'timestamp', 'org.apache.flume.interceptor.timestampinterceptor$builder': 'timestamp',
    host: 'host', 'org.apache.flume.interceptor.hostinterceptor$builder': 'host',
    static: 'static', 'org.apache.flume.interceptor.staticinterceptor$builder': 'static',
    regex_filter: 'regex_filter', 'org.apache.flume.interceptor.regexfilteringinterceptor$builder': 'regex_filter',
    regex_extractor: 'regex_extractor', 'org.apache.flume.interceptor.regexextractorinterceptor$builder': 'regex_extractor',
    remove_header: 'remove_header', 'org.apache.flume.interceptor.removeheaderinterceptor$builder': 'remove_header',
    search_replace: 'search_replace', 'org.apache.flume.interceptor.searchandreplaceinterceptor$builder': 'search_replace',
    'org.apache.flume.sink.solr.morphline.uuidinterceptor$builder': 'uuid',
    'org.apache.flume.sink.solr.morphline.morphlineinterceptor$builder': 'morphline',
  },
  selector: {
    replicating: 'replicating', 'org.apache.flume.channel.replicatingchannelselector': 'replicating',
    multiplexing: 'multiplexing', 'org.apache.flume.channel.multiplexingchannelselector': 'multiplexing',
    load_balancing: 'load_balancing', 'org.apache.flume.channel.loadbalancingchannelselector': 'load_balancing',
  },
  processor: {
    default: 'default', 'org.apache.flume.sink.defaultsinkprocessor': 'default',
    failover: 'failover', 'org.apache.flume.sink.failoversinkprocessor': 'failover',
    load_balance: 'load_balance', 'org.apache.flume.sink.loadbalancingsinkprocessor': 'load_balance',
  },
  stage: {},
};

/** A Java class name as Flume accepts for `type` (`com.acme.flume.MySource`, `a.b.C$Builder`). */
const JAVA_CLASS = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/;

/** The Sluice type for a type name found in a Flume .properties file (trimmed; aliases are case-insensitive). */
export function sluiceTypeForFlume(kind: ComponentKind, flumeType: string): string {
  const lower = flumeType.trim().toLowerCase();
  return BUILTINS[kind][lower] ?? lower;
}

/** True when `flumeType` names a Flume built-in (by alias or class name), whatever Sluice has. */
export function isFlumeBuiltin(kind: ComponentKind, flumeType: string): boolean {
  return flumeType.trim().toLowerCase() in BUILTINS[kind];
}

/** True when `flumeType` is a Java class name rather than an alias. */
export function isJavaClassName(flumeType: string): boolean {
  return JAVA_CLASS.test(flumeType.trim());
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
