import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

/** Something in a Kinesis Agent configuration that has no Sluice equivalent. */
export interface MigrationProblem {
  /** JSON pointer into the Kinesis Agent file, e.g. `/flows/0/partitionKeyOption`. */
  path: string;
  message: string;
}

/** What {@link convertKinesisAgentConfig} produces. */
export interface KinesisAgentMigration {
  /** The topology (one agent, one taildir -> file channel -> kinesis/firehose pipeline per flow). */
  topology: { agents: Record<string, { drainTimeout?: string; sources: Record<string, unknown>; channels: Record<string, unknown>; sinks: Record<string, unknown> }> };
  /** Settings dropped or changed on purpose, for the reader of the topology. */
  notes: string[];
  /** What cannot be converted; when not empty the topology must not be used. */
  problems: MigrationProblem[];
}

/** The agent name of a converted topology. */
export const KINESIS_AGENT_NAME = 'kinesis-agent';

/** Global keys that only tune the Java agent itself (threads, HTTP client, its own logs, CloudWatch). */
const JAVA_TUNING = /^(log\.|cloudwatch\.|maxConnections$|connectionTTLMillis$|useHttpGzip$|useTcpKeepAlive$|maxSendingThreads|sendingThreads|checkpointTimeToLiveDays$)/;

/** Flow keys of the Java agent's internal queues and buffers, which Sluice's channels replace. */
const FLOW_TUNING = new Set(['maxBufferSizeBytes', 'maxTimeBetweenFileTrackerRefreshMillis', 'publishQueueCapacity', 'waitOnFullPublishQueueMillis', 'waitOnEmptyPublishQueueMillis', 'waitOnFullRetryQueueMillis', 'retryInitialBackoffMillis', 'truncatedRecordTerminator', 'log.emitInternalMetrics']);

/** log_to_json's formats: the Kinesis Agent's names. */
const LOG_FORMATS = new Set(['COMMONAPACHELOG', 'COMBINEDAPACHELOG', 'APACHEERRORLOG', 'SYSLOG', 'RFC3164SYSLOG']);

/**
 * Turns a Kinesis Agent configuration (`/etc/aws-kinesis/agent.json`, comments allowed as the
 * agent allows them) into a Sluice topology: each flow becomes a `taildir` source (filePattern,
 * initialPosition, multiLineStartPattern, minTimeBetweenFilePollsMillis) with the
 * dataProcessingOptions as interceptors (SINGLELINE -> single_line, CSVTOJSON -> csv_to_json,
 * LOGTOJSON -> log_to_json), a durable `file` channel, and a `kinesis` (kinesisStream,
 * partitionKeyOption RANDOM) or `firehose` (deliveryStream) sink that appends the newline the
 * agent keeps at the end of each record. Endpoints give the region; explicit keys become
 * `${AWS_ACCESS_KEY_ID}`/`${AWS_SECRET_ACCESS_KEY}` so no secret is written into the topology.
 *
 * Settings that only tune the Java agent are dropped with a note; settings that change what is
 * sent and have no equivalent (DETERMINISTIC partition keys, skipHeaderLines, ADDMETADATA,
 * PRETTYPRINT, assume-role, ...) are problems, each with its reason.
 */
export function convertKinesisAgentConfig(config: unknown): KinesisAgentMigration {
  const notes: string[] = [];
  const problems: MigrationProblem[] = [];
  const sources: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const sinks: Record<string, unknown> = {};
  const agent: KinesisAgentMigration['topology']['agents'][string] = { sources, channels, sinks };
  const topology = { agents: { [KINESIS_AGENT_NAME]: agent } };
  if (!isObject(config)) {
    problems.push({ path: '', message: 'the configuration is not a JSON object' });
    return { topology, notes, problems };
  }
  const aws: { kinesis: Record<string, unknown>; firehose: Record<string, unknown> } = { kinesis: {}, firehose: {} };
  const credentials: Record<string, unknown> = {};
  const tuning: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const at = `/${escapePointer(key)}`;
    if (key === 'flows') continue;
    if (key === 'kinesis.endpoint' || key === 'firehose.endpoint') {
      const service = key.startsWith('kinesis') ? 'kinesis' : 'firehose';
      const endpoint = String(value ?? '').trim();
      if (endpoint === '') continue;
      const url = endpoint.includes('://') ? endpoint : `https://${endpoint}`;
      const region = new RegExp(`^https://${service}(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/?$`).exec(url)?.[1];
      if (region) aws[service].region ??= region;
      else aws[service].endpoint = url;
    } else if (key === 'kinesis.region' || key === 'firehose.region') {
      aws[key.startsWith('kinesis') ? 'kinesis' : 'firehose'].region = String(value);
    } else if (key === 'awsAccessKeyId') {
      credentials.accessKeyId = '${AWS_ACCESS_KEY_ID}';
      notes.push('awsAccessKeyId/awsSecretAccessKey: the topology reads the keys from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) instead of holding them; remove both keys to use the standard AWS credential chain (instance role, profile).');
    } else if (key === 'awsSecretAccessKey') {
      credentials.secretAccessKey = '${AWS_SECRET_ACCESS_KEY}';
    } else if (key.startsWith('userDefinedCredentialsProvider.')) {
      if (key.endsWith('.classname')) notes.push(`${key}: a Java credentials provider cannot run in Sluice; credentials come from the keys above or the standard AWS chain (environment, profile, SSO, web identity, container and instance roles).`);
    } else if (key === 'assumeRoleARN' || key === 'assumeRoleExternalId') {
      problems.push({ path: at, message: `${key} has no key of its own in Sluice: put role_arn${key === 'assumeRoleExternalId' ? ' and external_id' : ''} in a profile of ~/.aws/config and set profile on the kinesis/firehose sinks` });
    } else if (key === 'sts.endpoint') {
      notes.push('sts.endpoint: dropped; the AWS SDK picks the STS endpoint of the region.');
    } else if (key === 'shutdownTimeoutMillis') {
      agent.drainTimeout = millis(value);
    } else if (key === 'checkpointFile') {
      notes.push(`checkpointFile: taildir keeps its own position file under the agent dataDir; files already read by the Kinesis Agent are read again per initialPosition on the first start.`);
    } else if (key === 'connectionTimeoutMillis' || key === 'socketTimeoutMillis') {
      const ms = Number(value);
      for (const service of ['kinesis', 'firehose'] as const) {
        const current = aws[service].requestTimeout === undefined ? 0 : parseInt(String(aws[service].requestTimeout), 10);
        if (Number.isFinite(ms) && ms > current) aws[service].requestTimeout = `${ms}ms`;
      }
    } else if (JAVA_TUNING.test(key)) {
      tuning.push(key);
    } else {
      problems.push({ path: at, message: `'${key}' is not a Kinesis Agent setting this converter knows` });
    }
  }
  if (tuning.length > 0) notes.push(`dropped, as they tune the Java agent (its threads, HTTP client, logs, CloudWatch metrics; Sluice serves metrics at the monitoring port's /metrics and /metrics/prometheus): ${tuning.join(', ')}.`);
  const flows = config.flows;
  if (!Array.isArray(flows) || flows.length === 0) {
    problems.push({ path: '/flows', message: 'there are no flows: nothing to convert' });
    return { topology, notes, problems };
  }
  flows.forEach((flow, i) => convertFlow(flow, i, { sources, channels, sinks, aws, credentials, notes, problems }));
  return { topology, notes: [...new Set(notes)], problems };
}

interface FlowTarget {
  sources: Record<string, unknown>;
  channels: Record<string, unknown>;
  sinks: Record<string, unknown>;
  aws: { kinesis: Record<string, unknown>; firehose: Record<string, unknown> };
  credentials: Record<string, unknown>;
  notes: string[];
  problems: MigrationProblem[];
}

function convertFlow(flow: unknown, index: number, target: FlowTarget): void {
  const base = `/flows/${index}`;
  const { notes, problems } = target;
  if (!isObject(flow)) {
    problems.push({ path: base, message: 'a flow must be an object' });
    return;
  }
  const name = `flow-${index + 1}`;
  const source: Record<string, unknown> = { type: 'taildir', channels: [name] };
  const sink: Record<string, unknown> = { channel: name };
  const interceptors: unknown[] = [];
  if (typeof flow.filePattern !== 'string' || flow.filePattern === '') problems.push({ path: `${base}/filePattern`, message: 'filePattern is missing' });
  else source.filegroups = { [name]: flow.filePattern };
  const hasStream = flow.kinesisStream !== undefined;
  const hasDelivery = flow.deliveryStream !== undefined;
  if (hasStream === hasDelivery) {
    problems.push({ path: base, message: 'a flow needs exactly one of kinesisStream and deliveryStream' });
  } else if (hasStream) {
    Object.assign(sink, { type: 'kinesis', streamName: String(flow.kinesisStream), appendNewline: true });
    Object.assign(sink, target.aws.kinesis, target.credentials);
  } else {
    Object.assign(sink, { type: 'firehose', deliveryStreamName: String(flow.deliveryStream), appendNewline: true });
    Object.assign(sink, target.aws.firehose, target.credentials);
  }
  for (const [key, value] of Object.entries(flow)) {
    const at = `${base}/${escapePointer(key)}`;
    switch (key) {
      case 'filePattern': case 'kinesisStream': case 'deliveryStream': break;
      case 'initialPosition':
        if (value === 'START_OF_FILE') source.skipToEnd = false;
        else if (value === 'END_OF_FILE') source.skipToEnd = true;
        else problems.push({ path: at, message: `initialPosition '${String(value)}' is neither START_OF_FILE nor END_OF_FILE` });
        break;
      case 'partitionKeyOption':
        if (value === 'DETERMINISTIC') problems.push({ path: at, message: 'partitionKeyOption DETERMINISTIC (the MD5 of each record as its key) has no equivalent; use RANDOM, or a kinesis sink partitionKey template such as %{host} fed by an interceptor' });
        else if (value !== 'RANDOM') problems.push({ path: at, message: `partitionKeyOption '${String(value)}' is neither RANDOM nor DETERMINISTIC` });
        break;
      case 'multiLineStartPattern': source.multilineStartPattern = String(value); break;
      case 'minTimeBetweenFilePollsMillis': source.pollInterval = millis(value); break;
      case 'maxBufferSizeRecords': sink.batchSize = Number(value); break;
      case 'retryMaxBackoffMillis': sink.maxBackoff = millis(value); break;
      case 'maxBufferAgeMillis':
        notes.push(`${at}: Sluice sends records as soon as they are in the channel, so never later than maxBufferAgeMillis (${String(value)} ms).`);
        break;
      case 'skipHeaderLines':
        if (Number(value) > 0) problems.push({ path: at, message: 'skipHeaderLines has no equivalent: taildir would send the header lines; drop them with a regex_filter interceptor' });
        break;
      case 'fileFooterPattern':
        problems.push({ path: at, message: 'fileFooterPattern (stop reading a file at a footer line) has no equivalent in taildir' });
        break;
      case 'aggregatedRecordSizeBytes':
        if (Number(value) > 0) problems.push({ path: at, message: 'aggregatedRecordSizeBytes (several lines per Firehose record) has no equivalent; the firehose sink sends one record per line' });
        break;
      case 'dataProcessingOptions':
        if (!Array.isArray(value)) problems.push({ path: at, message: 'dataProcessingOptions must be a list' });
        else value.forEach((option, j) => { const i = interceptor(option, `${at}/${j}`, problems, notes); if (i) interceptors.push(i); });
        break;
      default:
        if (FLOW_TUNING.has(key)) notes.push(`${at}: dropped (a Java agent buffer or queue setting; the file channel and the sink's batch take its place).`);
        else problems.push({ path: at, message: `'${key}' is not a Kinesis Agent flow setting this converter knows` });
    }
  }
  if (interceptors.length > 0) source.interceptors = interceptors;
  if (source.skipToEnd === undefined) source.skipToEnd = true; // the agent's default is END_OF_FILE
  target.sources[name] = source;
  target.channels[name] = { type: 'file' };
  target.sinks[name] = sink;
}

/** One dataProcessingOptions entry as an interceptor, or undefined after adding a problem. */
function interceptor(option: unknown, at: string, problems: MigrationProblem[], notes: string[]): Record<string, unknown> | undefined {
  if (!isObject(option)) {
    problems.push({ path: at, message: 'a data processing option must be an object' });
    return undefined;
  }
  const name = option.optionName;
  if (option.jsonFormat !== undefined && option.jsonFormat !== 'COMPACT') {
    problems.push({ path: `${at}/jsonFormat`, message: `jsonFormat ${String(option.jsonFormat)} has no equivalent: the interceptors write compact JSON, one record per line` });
    return undefined;
  }
  switch (name) {
    case 'SINGLELINE': return { type: 'single_line' };
    case 'CSVTOJSON': {
      const delimiter = javaSplitDelimiter(option.delimiter === undefined ? ',' : String(option.delimiter));
      if (delimiter === undefined) {
        problems.push({ path: `${at}/delimiter`, message: `delimiter '${String(option.delimiter)}' is a Java regular expression; csv_to_json splits on a literal string` });
        return undefined;
      }
      if (!Array.isArray(option.customFieldNames)) {
        problems.push({ path: `${at}/customFieldNames`, message: 'CSVTOJSON needs customFieldNames' });
        return undefined;
      }
      return { type: 'csv_to_json', customFieldNames: option.customFieldNames.map(String), delimiter };
    }
    case 'LOGTOJSON': {
      const format = String(option.logFormat ?? '');
      if (!LOG_FORMATS.has(format)) {
        problems.push({ path: `${at}/logFormat`, message: `logFormat '${format}' is not supported by log_to_json (it knows ${[...LOG_FORMATS].join(', ')})` });
        return undefined;
      }
      const out: Record<string, unknown> = { type: 'log_to_json', logFormat: format };
      if (option.matchPattern !== undefined) {
        out.matchPattern = String(option.matchPattern);
        notes.push(`${at}/matchPattern: a Java regular expression, used as a JavaScript one; check constructs such as possessive quantifiers.`);
      }
      if (Array.isArray(option.customFieldNames)) out.customFieldNames = option.customFieldNames.map(String);
      return out;
    }
    case 'ADDMETADATA': case 'ADDEC2METADATA':
      problems.push({ path: `${at}/optionName`, message: `${String(name)} (wrapping each record in JSON with ${name === 'ADDEC2METADATA' ? 'EC2 instance metadata' : 'a timestamp and metadata'}) has no equivalent interceptor` });
      return undefined;
    case 'ADDBRACKETS':
      problems.push({ path: `${at}/optionName`, message: 'ADDBRACKETS has no equivalent interceptor' });
      return undefined;
    case 'USINGPLUGGIN':
      problems.push({ path: `${at}/optionName`, message: 'USINGPLUGGIN runs a Java class, which Sluice cannot load; write the conversion as a Sluice interceptor plugin' });
      return undefined;
    default:
      problems.push({ path: `${at}/optionName`, message: `'${String(name)}' is not a Kinesis Agent data processing option` });
      return undefined;
  }
}

/**
 * The literal string a Java `String.split(regex)` delimiter stands for, or undefined when it is
 * a real regular expression: `\t` is a tab, `\|` a bar, a plain `,` itself.
 */
function javaSplitDelimiter(regex: string): string | undefined {
  let out = '';
  for (let i = 0; i < regex.length; i++) {
    const c = regex[i]!;
    if (c === '\\') {
      const next = regex[++i];
      if (next === undefined) return undefined;
      if (next === 't') out += '\t';
      else if (next === 'n') out += '\n';
      else if (next === 'r') out += '\r';
      else if (/[\\^$.|?*+()[\]{}\s,;:]/.test(next)) out += next;
      else return undefined;
    } else if (/[\^$.|?*+()[\]{}]/.test(c)) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out === '' ? undefined : out;
}

/**
 * The Kinesis Agent's JSON: standard JSON plus `/* ... *\/` and `//` comments (its Jackson
 * parser allows them, and its own test configurations use them).
 */
export function parseKinesisAgentJson(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
      out += ' ';
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return JSON.parse(out) as unknown;
}

/** The converted topology as YAML, the notes as comments at its top. */
export function renderMigration(migration: KinesisAgentMigration, from: string): string {
  const header = [`# Converted from the Kinesis Agent configuration ${from} by \`sluice migrate kinesis-agent\`.`, `# Run it with: sluice agent -f <this file> -n ${KINESIS_AGENT_NAME}`];
  if (migration.notes.length > 0) header.push('#', '# Notes:', ...migration.notes.map((n) => `#  - ${n}`));
  return `${header.join('\n')}\n${stringify(migration.topology, { lineWidth: 0 })}`;
}

/**
 * `sluice migrate kinesis-agent FILE`: prints the topology (YAML) on `out` and exits 0, or lists
 * every problem on `err` and exits 1 (nothing printed on `out`).
 */
export function migrateKinesisAgentCommand(file: string | undefined, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  if (!file) {
    err.write('sluice migrate kinesis-agent: give the Kinesis Agent configuration file, e.g. /etc/aws-kinesis/agent.json\n');
    return 2;
  }
  let config: unknown;
  try {
    config = parseKinesisAgentJson(readFileSync(file, 'utf8'));
  } catch (error) {
    err.write(`sluice migrate kinesis-agent: cannot read ${file}: ${(error as Error).message}\n`);
    return 1;
  }
  const migration = convertKinesisAgentConfig(config);
  if (migration.problems.length > 0) {
    err.write(`${file}: ${migration.problems.length} setting(s) have no Sluice equivalent; nothing was converted:\n`);
    for (const p of migration.problems) err.write(`  ${p.path || '/'}: ${p.message}\n`);
    return 1;
  }
  out.write(renderMigration(migration, path.basename(file)));
  return 0;
}

function millis(value: unknown): string {
  return `${Number(value)}ms`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
