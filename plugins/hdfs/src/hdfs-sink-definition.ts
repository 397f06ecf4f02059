import {
  BUCKETING_REQUIRED, BUCKETING_SCHEMA_PROPERTIES, bucketingFromFlume, bucketTemplateError, COMPRESSION_NAMES,
  defineComponent, DURATION_PATTERN, SERIALIZER_NAMES,
} from '@sluice/core';
import { hdfsPathColonError } from './hdfs-path-colon.js';
import { HdfsSink, type HdfsSinkConfig } from './hdfs-sink.js';

/** The `hdfs` sink: bucketed, rolling files on HDFS over WebHDFS/HttpFS. */
export const hdfsSink = defineComponent<'sink', HdfsSinkConfig>({
  kind: 'sink',
  type: 'hdfs',
  description: 'Writes events into bucketed, rolling HDFS files over the WebHDFS/HttpFS REST API.',
  guarantee: 'At-least-once: a batch is committed after the datanode acknowledged the CREATE/APPEND carrying it (WebHDFS closes the block stream per request, which is at least hflush). A crash or failure before the commit repeats the batch, so files may hold duplicates. In-use .tmp files left by a crash are renamed at the next start.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^https?://', description: 'WebHDFS base URL of the namenode (http://namenode:9870) or HttpFS (http://httpfs:14000).' },
      path: { type: 'string', pattern: '^/', description: 'Directory template for the files, with Flume escapes: %Y %m %d %H ... %{header} %[localhost]. Header values cannot leave the prefix.' },
      filePrefix: { type: 'string', minLength: 1, default: 'FlumeData', description: 'File name prefix; files are <prefix>.<startMillis>-<n><suffix>.' },
      fileSuffix: { type: 'string', default: '', description: 'File name suffix; empty uses the serializer extension (.log, .json, .avro, plus .gz).' },
      inUseSuffix: { type: 'string', minLength: 1, default: '.tmp', description: 'Suffix of a file while it is being written; removed by an atomic rename on close.' },
      user: { type: 'string', default: '', description: 'Simple-auth user name (user.name); empty sends none.' },
      delegationToken: { type: 'string', default: '', description: 'Delegation token for secured clusters; used instead of user.' },
      serializer: { type: 'string', enum: [...SERIALIZER_NAMES], default: 'text', description: 'Output format: text, header_and_text, json (one object per line) or avro_event (Avro container of AvroFlumeEvent).' },
      compression: { type: 'string', enum: [...COMPRESSION_NAMES], default: 'none', description: 'gzip compresses each batch as one gzip member (zcat reads the file whole).' },
      batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Events taken per transaction; one APPEND per bucket per batch.' },
      requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'Timeout of each WebHDFS request.' },
      writeConcurrency: { type: 'integer', minimum: 1, default: 8, description: 'Buckets of one batch written in parallel (each bucket is one file and one request pair).' },
      ...BUCKETING_SCHEMA_PROPERTIES,
    },
    required: ['url', 'path', 'filePrefix', 'fileSuffix', 'inUseSuffix', 'user', 'delegationToken', 'serializer', 'compression', 'batchSize', 'requestTimeout', 'writeConcurrency', ...BUCKETING_REQUIRED],
  },
  // The same checks, and messages, the constructor throws with at start.
  check(config) {
    return [bucketTemplateError(config.path), hdfsPathColonError(config.path)]
      .filter((message) => message !== undefined)
      .map((message) => ({ path: '/path', message }));
  },
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [raw, value] of Object.entries(properties)) {
      const key = raw.startsWith('hdfs.') ? raw.slice(5) : raw;
      if (bucketingFromFlume(key, value, config)) continue;
      if (key === 'serializer') config.serializer = value.toLowerCase();
      // DataStream is what this sink writes; CompressedStream needs the codec; SequenceFile is not
      // supported and is passed through so validation reports it instead of silently changing format.
      else if (key === 'fileType') { if (value === 'CompressedStream') config.compression ??= 'gzip'; else if (value !== 'DataStream') config.fileType = value; }
      else if (key === 'codeC') config.compression = /^(gzip|org\.apache\.hadoop\.io\.compress\.GzipCodec)$/i.test(value) ? 'gzip' : value;
      else if (key === 'proxyUser' || key === 'kerberosPrincipal') config.user = value;
      else if (key === 'callTimeout') config.requestTimeout = `${value}ms`;
      else if (key === 'path') config.path = value.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') || '/';
      else if (key === 'batchSize' || key === 'filePrefix' || key === 'fileSuffix' || key === 'inUseSuffix' || key === 'url') config[key] = value;
      else if (key === 'timeZone') config.timeZone = value.toLowerCase() === 'utc' ? 'utc' : 'local';
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new HdfsSink(config, ctx),
});
