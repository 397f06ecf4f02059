import {
  BUCKETING_REQUIRED, BUCKETING_SCHEMA_PROPERTIES, bucketingFromFlume, bucketTemplateError,
  defineComponent, DURATION_PATTERN, flumeSerializerName, SERIALIZER_NAMES,
} from '@sluice/core';
import { HADOOP_CODEC_NAMES } from './hadoop-codecs.js';
import { hdfsFormatProblems } from './hdfs-serializer.js';
import { hdfsPathColonError } from './hdfs-path-colon.js';

const FILE_TYPES = ['DataStream', 'CompressedStream', 'SequenceFile'];
const WRITE_FORMATS = ['Writable', 'Text'];
/** Flume hdfs.codeC values: the codec's short name or its Hadoop class. */
const CODEC_NAMES: Record<string, string> = {
  gzip: 'gzip', bzip2: 'bzip2', snappy: 'snappy', lz4: 'lz4',
  'org.apache.hadoop.io.compress.gzipcodec': 'gzip', 'org.apache.hadoop.io.compress.bzip2codec': 'bzip2',
  'org.apache.hadoop.io.compress.snappycodec': 'snappy', 'org.apache.hadoop.io.compress.lz4codec': 'lz4',
};
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
      fileType: { type: 'string', enum: ['DataStream', 'CompressedStream', 'SequenceFile'], default: 'DataStream', description: 'DataStream: the serializer\'s output as is (compressed when compression is set); CompressedStream: the same, a codec required; SequenceFile: a Hadoop SequenceFile of LongWritable timestamp keys and body values, block-compressed with a codec (Flume hdfs.fileType, whose Flume default is SequenceFile).' },
      writeFormat: { type: 'string', enum: ['Writable', 'Text'], default: 'Writable', description: 'SequenceFile values: Writable (BytesWritable, the body\'s bytes) or Text (the body as UTF-8 text) (Flume hdfs.writeFormat).' },
      compression: { type: 'string', enum: [...HADOOP_CODEC_NAMES], default: 'none', description: 'Hadoop codec (Flume hdfs.codeC): gzip, bzip2, snappy or lz4 (the last two in Hadoop\'s block framing). Each batch is compressed on its own, so the file is readable after any batch; SequenceFiles compress each batch as one block.' },
      batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Events taken per transaction; one APPEND per bucket per batch.' },
      requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s', description: 'Timeout of each WebHDFS request.' },
      writeConcurrency: { type: 'integer', minimum: 1, default: 8, description: 'Buckets of one batch written in parallel (each bucket is one file and one request pair).' },
      ...BUCKETING_SCHEMA_PROPERTIES,
    },
    required: ['url', 'path', 'filePrefix', 'fileSuffix', 'inUseSuffix', 'user', 'delegationToken', 'fileType', 'writeFormat', 'serializer', 'compression', 'batchSize', 'requestTimeout', 'writeConcurrency', ...BUCKETING_REQUIRED],
  },
  // The same checks, and messages, the constructor throws with at start.
  check(config) {
    return [bucketTemplateError(config.path), hdfsPathColonError(config.path)]
      .filter((message) => message !== undefined)
      .map((message) => ({ path: '/path', message }))
      .concat(hdfsFormatProblems(config));
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
    // What Flume writes: a SequenceFile unless told otherwise (Flume compares the name ignoring case).
    const canonical = fileType === undefined ? 'SequenceFile' : FILE_TYPES.find((t) => t.toLowerCase() === fileType.toLowerCase());
    if (canonical === undefined) flume?.refuse(fileTypeKey, `'${fileType}' is not a Flume file type`, 'use SequenceFile, DataStream or CompressedStream');
    else config.fileType = canonical;
    if (canonical === 'CompressedStream' && codec === undefined) flume?.refuse(fileTypeKey, 'CompressedStream needs hdfs.codeC (Flume refuses it too)', 'set hdfs.codeC = gzip, bzip2, snappy or lz4');
    if (canonical === 'DataStream' && codec !== undefined) flume?.refuse(codecKey, 'is set with hdfs.fileType = DataStream, which Flume refuses ("does NOT support compressed output")', 'set hdfs.fileType = CompressedStream, or delete hdfs.codeC');
    for (const [raw, value] of Object.entries(properties)) {
      const key = raw.startsWith('hdfs.') ? raw.slice(5) : raw;
      if (bucketingFromFlume(key, value, config)) continue;
      if (key === 'fileType') continue;
      else if (key === 'codeC') {
        const name = CODEC_NAMES[value.trim().toLowerCase()];
        if (name) config.compression = name;
        else flume?.refuse(raw, `codec '${value}' has no implementation here: Sluice's hdfs sink writes gzip, bzip2, snappy and lz4 (Hadoop's framing)`, `set ${raw} = gzip, bzip2, snappy or lz4`);
      } else if (key === 'writeFormat') {
        const format = WRITE_FORMATS.find((t) => t.toLowerCase() === value.trim().toLowerCase());
        if (config.fileType !== 'SequenceFile') flume?.warn(raw, 'applies to SequenceFile records only; Flume ignores it for DataStream and CompressedStream, and so does Sluice');
        else if (format) config.writeFormat = format;
        else flume?.refuse(raw, `'${value}' is not a SequenceFile write format`, 'use Writable (BytesWritable values) or Text');
      } else if (key === 'serializer') {
        const name = flumeSerializerName(value, raw, flume);
        if (name) config.serializer = name;
      } else if (key === 'serializer.appendNewline') {
        if (value.trim() === 'false') flume?.refuse(raw, 'false: Sluice\'s text serializers always end an event with a newline');
        else flume?.warn(raw, 'true is what Sluice\'s text serializers always do');
      } else if (key.startsWith('serializer.')) flume?.warn(raw, 'configures a Java serializer; Sluice\'s serializers have no options');
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
