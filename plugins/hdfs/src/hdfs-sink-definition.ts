import {
  BUCKETING_REQUIRED, BUCKETING_SCHEMA_PROPERTIES, bucketingFromFlume, bucketTemplateError, COMPRESSION_NAMES,
  defineComponent, DURATION_PATTERN, flumeSerializerName, SERIALIZER_NAMES,
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
  // Flume's HDFSEventSink defaults (FlumeUserGuide, HDFSEventSink.configure): small files, local time.
  flumeDefaults: { batchSize: 100, maxOpenFiles: 5000, timeZone: 'local', roll: { interval: '30s', size: '1024B', count: 10, idleTimeout: '0' } },
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    const get = (key: string): string | undefined => properties[`hdfs.${key}`] ?? properties[key];
    const fileType = get('fileType')?.trim();
    const codec = get('codeC')?.trim();
    const fileTypeKey = properties.fileType !== undefined && properties['hdfs.fileType'] === undefined ? 'fileType' : 'hdfs.fileType';
    const codecKey = properties.codeC !== undefined && properties['hdfs.codeC'] === undefined ? 'codeC' : 'hdfs.codeC';
    // What Flume writes: a SequenceFile unless told otherwise. Once this sink's schema has a
    // fileType (a SequenceFile writer), Flume's value passes through; until then it is refused.
    const schemaKeys = (hdfsSink.schema as { properties: Record<string, unknown> }).properties;
    if ((fileType === undefined || /^SequenceFile$/i.test(fileType)) && 'fileType' in schemaKeys) {
      config.fileType = 'SequenceFile';
      if (properties['hdfs.writeFormat'] !== undefined && 'writeFormat' in schemaKeys) config.writeFormat = properties['hdfs.writeFormat'];
    } else if (fileType === undefined || /^SequenceFile$/i.test(fileType)) {
      flume?.refuse(fileTypeKey, `${fileType === undefined ? 'is not set, and Flume\'s default hdfs.fileType is SequenceFile' : 'SequenceFile'}: Sluice's hdfs sink writes DataStream (and CompressedStream with gzip) files only`, 'set hdfs.fileType = DataStream (plain files in the serializer\'s format) if the readers of these files accept it');
    } else if (/^CompressedStream$/i.test(fileType)) {
      if (codec === undefined) flume?.refuse(fileTypeKey, 'CompressedStream needs hdfs.codeC (Flume refuses it too)', 'set hdfs.codeC = gzip');
    } else if (!/^DataStream$/i.test(fileType)) {
      flume?.refuse(fileTypeKey, `'${fileType}' is not a Flume file type`, 'use DataStream or CompressedStream');
    } else if (codec !== undefined) {
      flume?.refuse(codecKey, 'is set with hdfs.fileType = DataStream, which Flume refuses ("does NOT support compressed output")', 'set hdfs.fileType = CompressedStream, or delete hdfs.codeC');
    }
    if ('fileType' in schemaKeys && fileType !== undefined) {
      const canonical = ['SequenceFile', 'DataStream', 'CompressedStream'].find((t) => t.toLowerCase() === fileType.toLowerCase());
      if (canonical) config.fileType = canonical;
    }
    for (const [raw, value] of Object.entries(properties)) {
      const key = raw.startsWith('hdfs.') ? raw.slice(5) : raw;
      if (bucketingFromFlume(key, value, config)) continue;
      if (key === 'fileType') continue;
      else if (key === 'codeC') {
        if (/^(gzip|gzipcodec|org\.apache\.hadoop\.io\.compress\.GzipCodec)$/i.test(value)) { if (!/^DataStream$/i.test(fileType ?? '')) config.compression = 'gzip'; }
        else flume?.refuse(raw, `codec '${value}': Sluice's hdfs sink compresses with gzip only`, `set ${raw} = gzip`);
      } else if (key === 'serializer') {
        const name = flumeSerializerName(value, raw, flume);
        if (name) config.serializer = name;
      } else if (key === 'serializer.appendNewline') {
        if (value.trim() === 'false') flume?.refuse(raw, 'false: Sluice\'s text serializers always end an event with a newline');
        else flume?.warn(raw, 'true is what Sluice\'s text serializers always do');
      } else if (key.startsWith('serializer.')) flume?.warn(raw, 'configures a Java serializer; Sluice\'s serializers have no options');
      else if (key === 'writeFormat' && config.writeFormat !== undefined) continue;
      else if (key === 'writeFormat') flume?.warn(raw, 'applies to SequenceFile records only; Flume ignores it for DataStream and CompressedStream, and so does Sluice');
      else if (key === 'inUsePrefix') flume?.warn(raw, `Sluice has no in-use prefix: a file being written is named <filePrefix>...${'<inUseSuffix>'} (readers that skip '_' or '.' files will see it)`, 'make readers skip the in-use suffix (.tmp) instead');
      else if (key === 'emptyInUseSuffix') flume?.warn(raw, 'Sluice always marks a file being written with inUseSuffix');
      else if (['threadsPoolSize', 'rollTimerPoolSize', 'minBlockReplicas', 'closeTries', 'retryInterval', 'kerberosKeytab'].includes(key)) flume?.warn(raw, 'tunes Flume\'s Java HDFS client; Sluice\'s WebHDFS client has no equivalent and ignores it');
      else if (key === 'kerberosPrincipal') flume?.warn(raw, 'Sluice\'s WebHDFS client authenticates with simple auth (user) or a delegation token, not Kerberos', 'set hdfs.delegationToken, or hdfs.user on an unsecured cluster');
      else if (key === 'proxyUser') config.user = value;
      else if (key === 'callTimeout') config.requestTimeout = `${value}ms`;
      else if (key === 'path') {
        config.path = value.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') || '/';
        const authority = /^hdfs:\/\/([^/:]+)(:[0-9]+)?/i.exec(value);
        if (authority && get('url') === undefined) {
          config.url = `http://${authority[1]}:9870`;
          flume?.warn(raw, `Sluice writes through WebHDFS and assumed ${config.url as string} (the namenode's default WebHDFS port) from ${authority[0]}`, 'set hdfs.url = http://<namenode>:<port> (50070 on Hadoop 2) if it differs');
        }
      } else if (key === 'batchSize' || key === 'filePrefix' || key === 'fileSuffix' || key === 'inUseSuffix' || key === 'url') config[key] = value;
      else if (key === 'timeZone') config.timeZone = value.toLowerCase() === 'utc' ? 'utc' : 'local';
      else config[key] = value;
    }
    if (config.url === undefined && get('path') !== undefined) {
      flume?.refuse(properties['hdfs.path'] !== undefined ? 'hdfs.path' : 'path', 'names no namenode (Flume takes it from core-site.xml fs.defaultFS); Sluice needs the WebHDFS address', 'add hdfs.url = http://<namenode>:9870');
    }
    return config;
  },
  create: (config, ctx) => new HdfsSink(config, ctx),
});
