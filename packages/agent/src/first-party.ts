import type { ComponentKind } from '@sluice/core';

/**
 * First-party component types and the package that provides each. When a topology uses one of
 * these types without listing its plugin, the agent loads the package if it is installed, so
 * `type: hdfs` (and Flume files, which have no plugins list) work without extra ceremony.
 */
export const FIRST_PARTY_TYPES: Readonly<Partial<Record<ComponentKind, Readonly<Record<string, string>>>>> = {
  source: {
    syslog_tcp: '@sluice/plugin-syslog', syslog_udp: '@sluice/plugin-syslog', http: '@sluice/plugin-http',
    avro: '@sluice/plugin-avro', kafka: '@sluice/plugin-kafka', taildir: '@sluice/plugin-file', spooldir: '@sluice/plugin-file',
    exec: '@sluice/plugin-file', thrift: '@sluice/plugin-thrift',
    kinesis: '@sluice/plugin-kinesis', sqs: '@sluice/plugin-sqs',
  },
  channel: { file: '@sluice/channel-file', spillablememory: '@sluice/channel-file', kafka: '@sluice/plugin-kafka', sqs: '@sluice/plugin-sqs' },
  sink: {
    hdfs: '@sluice/plugin-hdfs', s3: '@sluice/plugin-s3', kafka: '@sluice/plugin-kafka', avro: '@sluice/plugin-avro', http: '@sluice/plugin-http',
    elasticsearch: '@sluice/plugin-elasticsearch',
    thrift: '@sluice/plugin-thrift',
    kinesis: '@sluice/plugin-kinesis', firehose: '@sluice/plugin-kinesis',
    sqs: '@sluice/plugin-sqs',
  },
  stage: { sql: '@sluice/plugin-sql' },
  interceptor: { single_line: '@sluice/plugin-file', csv_to_json: '@sluice/plugin-file', log_to_json: '@sluice/plugin-file' },
};

/** The first-party packages a raw topology's types call for. */
export function firstPartyPackagesFor(data: unknown): string[] {
  const needed = new Set<string>();
  const agents = (data as { agents?: Record<string, unknown> } | null)?.agents;
  if (!agents || typeof agents !== 'object') return [];
  const sections: [string, ComponentKind][] = [['sources', 'source'], ['channels', 'channel'], ['sinks', 'sink'], ['stages', 'stage']];
  for (const agent of Object.values(agents)) {
    if (!agent || typeof agent !== 'object') continue;
    for (const [section, kind] of sections) {
      const components = (agent as Record<string, unknown>)[section];
      if (!components || typeof components !== 'object') continue;
      for (const component of Object.values(components as Record<string, unknown>)) {
        const type = (component as { type?: unknown } | null)?.type;
        const pkg = typeof type === 'string' ? FIRST_PARTY_TYPES[kind]?.[type] : undefined;
        if (pkg) needed.add(pkg);
        if (kind === 'source') {
          const interceptors = (component as { interceptors?: unknown }).interceptors;
          if (Array.isArray(interceptors)) {
            for (const i of interceptors) {
              const itype = (i as { type?: unknown } | null)?.type;
              const ipkg = typeof itype === 'string' ? FIRST_PARTY_TYPES.interceptor?.[itype] : undefined;
              if (ipkg) needed.add(ipkg);
            }
          }
        }
      }
    }
  }
  return [...needed];
}
