import { bucketTemplateError, defineComponent, DURATION_PATTERN, type Problem } from '@sluice/core';
import { ElasticsearchSink, type ElasticsearchSinkConfig } from './elasticsearch-sink.js';
import { parseDatePattern, timeZoneError } from './index-namer.js';

/** What the schema cannot say about a config: host URLs, the index template, date format, zone, auth. */
function configProblems(config: ElasticsearchSinkConfig): Problem[] {
  const problems: Problem[] = [];
  config.hostNames.forEach((host, i) => {
    let url: URL | undefined;
    try { url = new URL(host); } catch { /* reported below */ }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
      problems.push({ path: `/hostNames/${i}`, message: `'${host}' is not an http(s) URL of an Elasticsearch node`, hint: 'write it like http://127.0.0.1:9200 or https://es.example.com:9200' });
    }
  });
  const template = bucketTemplateError(config.indexName);
  if (template !== undefined) problems.push({ path: '/indexName', message: template });
  const date = parseDatePattern(config.dateFormat);
  if (typeof date === 'string') problems.push({ path: '/dateFormat', message: date });
  const zone = timeZoneError(config.timeZone);
  if (zone !== undefined) problems.push({ path: '/timeZone', message: zone });
  if (config.username !== '' && config.apiKey !== '') problems.push({ path: '/apiKey', message: 'username and apiKey are both set; only one can authenticate', hint: 'remove one of them' });
  if ((config.username === '') !== (config.password === '')) problems.push({ path: config.username === '' ? '/username' : '/password', message: 'basic authentication needs both username and password' });
  return problems;
}

const JVM_SERIALIZERS: Record<string, 'logstash' | 'dynamic'> = {
  'org.apache.flume.sink.elasticsearch.elasticsearchlogstasheventserializer': 'logstash',
  'org.apache.flume.sink.elasticsearch.elasticsearchdynamicserializer': 'dynamic',
};

const JVM_NAME_BUILDERS: Record<string, 'time_based' | 'simple'> = {
  'org.apache.flume.sink.elasticsearch.timebasedindexnamebuilder': 'time_based',
  'org.apache.flume.sink.elasticsearch.simpleindexnamebuilder': 'simple',
};

/**
 * Flume's `hostNames` (`host:port,host2`): Flume's default transport client spoke to port 9300,
 * which current Elasticsearch no longer offers, so those become the REST port 9200 (the
 * `client = rest` form keeps its port).
 */
function hostsFromFlume(value: string, client: string | undefined): string[] {
  return value.split(',').map((h) => h.trim()).filter(Boolean).map((host) => {
    if (/^https?:\/\//i.test(host)) return host;
    const match = /^(.*?)(?::(\d+))?$/.exec(host)!;
    const port = match[2] === undefined || (client !== 'rest' && match[2] === '9300') ? '9200' : match[2];
    return `http://${match[1]}:${port}`;
  });
}

/** The `elasticsearch` sink: bulk indexing into Elasticsearch or OpenSearch. */
export const elasticsearchSink = defineComponent<'sink', ElasticsearchSinkConfig>({
  kind: 'sink',
  type: 'elasticsearch',
  description: 'Indexes events into Elasticsearch or OpenSearch with the bulk API, in Flume\'s logstash or dynamic document format, into daily indices.',
  guarantee: 'At-least-once: a batch is committed only after every document was indexed or set aside. Items refused with 429/5xx are resent alone; a batch that still fails rolls back and its already indexed events are not resent while the sink runs. After a crash or a lost answer, documents may be indexed twice unless idHeader gives each event a stable id (create: a repeat is a 409, counted as indexed). Documents Elasticsearch refuses for their content go to the dead-letter channel, or are dropped and counted (EventRejectedCount) without one.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hostNames: { type: 'array', items: { type: 'string' }, minItems: 1, default: ['http://127.0.0.1:9200'], description: 'URLs of the nodes to send bulk requests to, used in turn; a node that fails is skipped for the next (Flume hostNames).' },
      indexName: { type: 'string', minLength: 1, default: 'flume', description: 'Index name, or its prefix with indexNameBuilder time_based; Flume escapes such as %{header} are expanded per event.' },
      indexNameBuilder: { type: 'string', enum: ['time_based', 'simple'], default: 'time_based', description: 'time_based: <indexName>-<event day in dateFormat> (Flume TimeBasedIndexNameBuilder); simple: indexName as is.' },
      dateFormat: { type: 'string', default: 'yyyy-MM-dd', description: 'Date suffix of time_based index names: yyyy yy MM dd HH mm ss, - . _ and quoted text.' },
      timeZone: { type: 'string', default: 'Etc/UTC', description: 'IANA time zone of the date suffix.' },
      serializer: { type: 'string', enum: ['logstash', 'dynamic'], default: 'logstash', description: 'Document format: logstash (@message, @timestamp, @source_host, ..., headers under @fields) or dynamic (body and each header as fields), as Flume\'s two serializers write them.' },
      idHeader: { type: 'string', default: '', description: 'Header holding each event\'s document id (e.g. from the uuid interceptor); set, documents are created once and a resend is recognised. Empty lets Elasticsearch choose ids.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Events per bulk request.' },
      username: { type: 'string', default: '', description: 'Basic authentication user, with password.' },
      password: { type: 'string', default: '', description: 'Basic authentication password (use ${ENV} substitution); never logged.' },
      apiKey: { type: 'string', default: '', description: 'API key sent as `Authorization: ApiKey <apiKey>` (the encoded form Elasticsearch returns); never logged.' },
      ca: { type: 'string', default: '', description: 'PEM file of CA certificates to trust for https nodes (default: the system CAs), relative to the topology file.' },
      connectTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '5s', description: 'How long to wait for a connection to a node.' },
      requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'How long to wait for the whole answer to one bulk request.' },
      itemRetries: { type: 'integer', minimum: 0, default: 5, description: 'How often items refused with 429 or 5xx are resent alone before the batch rolls back.' },
      retryBackoff: { type: 'string', pattern: DURATION_PATTERN, default: '200ms', description: 'Wait before the first item resend; doubled each time, at most 10s.' },
    },
    required: ['hostNames', 'indexName', 'indexNameBuilder', 'dateFormat', 'timeZone', 'serializer', 'idHeader', 'batchSize', 'username', 'password', 'apiKey', 'ca', 'connectTimeout', 'requestTimeout', 'itemRetries', 'retryBackoff'],
  },
  check: configProblems,
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'hostNames') config.hostNames = hostsFromFlume(value, properties.client?.trim().toLowerCase());
      else if (key === 'serializer') config.serializer = JVM_SERIALIZERS[value.trim().toLowerCase()] ?? value;
      else if (key === 'indexNameBuilder') config.indexNameBuilder = JVM_NAME_BUILDERS[value.trim().toLowerCase()] ?? value;
      else if (key === 'indexNameBuilder.dateFormat') config.dateFormat = value;
      else if (key === 'indexNameBuilder.timeZone') config.timeZone = value;
      else if (key === 'batchSize' || key === 'indexName') config[key] = value;
      // Mapping types and TTL are gone from current Elasticsearch; the cluster name and client
      // kind belonged to the JVM transport client. They change nothing here.
      else if (key === 'indexType' || key === 'ttl' || key === 'clusterName' || key === 'client') continue;
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new ElasticsearchSink(config, ctx),
});
