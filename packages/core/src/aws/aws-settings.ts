import { SluiceError } from '../errors.js';
import type { Problem } from '../problem.js';
import { DURATION_PATTERN, parseDuration } from '../units.js';

/**
 * The AWS connection keys every AWS component shares (s3, sqs, kinesis, firehose), so one
 * topology spells region, endpoint and credentials the same way everywhere. A component's config
 * interface extends this and spreads {@link AWS_SCHEMA_PROPERTIES} into its schema.
 */
export interface AwsSettings {
  /** AWS region; empty takes it from the SDK's chain (AWS_REGION, the shared profile). */
  region: string;
  /** Endpoint URL of an AWS-compatible service (an emulator, a VPC endpoint); empty uses AWS's. */
  endpoint: string;
  /** Shared-config profile to read credentials and region from; empty uses AWS_PROFILE or `default`. */
  profile: string;
  /** Explicit access key id; empty uses the SDK's default credential provider chain. */
  accessKeyId: string;
  /** Explicit secret access key, with accessKeyId. Never logged. */
  secretAccessKey: string;
  /** Session token of temporary explicit credentials. Never logged. */
  sessionToken: string;
  /** Attempts per request inside the SDK (its own retry with backoff) before the call fails. */
  maxAttempts: number;
  /** Connection and request timeout of each call. */
  requestTimeout: string;
}

/**
 * JSON Schema properties of {@link AwsSettings}. Spread into a component's `schema.properties`
 * and list {@link AWS_REQUIRED} in `required` (they all have defaults).
 */
export const AWS_SCHEMA_PROPERTIES = {
  region: { type: 'string', default: '', description: 'AWS region; empty takes it from the standard AWS chain (AWS_REGION, the profile).' },
  endpoint: { type: 'string', default: '', description: 'Endpoint URL of an AWS-compatible service (an emulator, MinIO, a VPC endpoint); empty uses AWS.' },
  profile: { type: 'string', default: '', description: 'Shared config/credentials profile; empty uses AWS_PROFILE or the default profile.' },
  accessKeyId: { type: 'string', default: '', description: 'Access key id; empty uses the standard AWS credential chain (environment, shared profile, web identity, container and instance metadata). Prefer ${ENV} substitution; never logged.' },
  secretAccessKey: { type: 'string', default: '', description: 'Secret access key, with accessKeyId; never logged.' },
  sessionToken: { type: 'string', default: '', description: 'Session token of temporary credentials, with accessKeyId; never logged.' },
  maxAttempts: { type: 'integer', minimum: 1, default: 3, description: 'Attempts per AWS request inside the SDK (with its backoff) before the call fails.' },
  requestTimeout: { type: 'string', pattern: DURATION_PATTERN, default: '60s', description: 'Connection and request timeout of each AWS request.' },
} as const;

/** Names of {@link AWS_SCHEMA_PROPERTIES}, for a schema's `required` list. */
export const AWS_REQUIRED = ['region', 'endpoint', 'profile', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'maxAttempts', 'requestTimeout'] as const;

/**
 * The problems of a component's AWS keys that the schema cannot express: half-given explicit
 * credentials and an endpoint that is not a URL. For a component's `check`; paths are relative to
 * its config.
 */
export function awsSettingsProblems(settings: AwsSettings): Problem[] {
  const problems: Problem[] = [];
  if (settings.endpoint !== '') {
    let url: URL | undefined;
    try { url = new URL(settings.endpoint); } catch { /* reported below */ }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push({ path: '/endpoint', message: `endpoint '${settings.endpoint}' is not an http(s) URL`, hint: 'write it like http://127.0.0.1:4566 or https://sqs.eu-west-1.amazonaws.com' });
    }
  }
  if ((settings.accessKeyId === '') !== (settings.secretAccessKey === '')) {
    const missing = settings.accessKeyId === '' ? 'accessKeyId' : 'secretAccessKey';
    problems.push({ path: `/${missing}`, message: `${missing} is missing: explicit credentials need both accessKeyId and secretAccessKey`, hint: 'set both (from ${ENV} variables), or neither to use the standard AWS credential chain' });
  }
  if (settings.sessionToken !== '' && settings.accessKeyId === '') {
    problems.push({ path: '/sessionToken', message: 'sessionToken is set without accessKeyId and secretAccessKey', hint: 'set all three, or none to use the standard AWS credential chain' });
  }
  if (settings.profile !== '' && settings.accessKeyId !== '') {
    problems.push({ path: '/profile', message: 'profile and explicit accessKeyId are both set; only one can supply the credentials', hint: 'remove one of them' });
  }
  return problems;
}

/**
 * The constructor options that every AWS SDK v3 client (`new SQSClient(...)`, `new S3Client(...)`)
 * accepts, from a component's {@link AwsSettings}: empty keys are left out so the SDK's own
 * default chain (environment, shared profile, web identity, instance metadata) applies. Core has
 * no AWS SDK dependency; the plugin passes the result, plus its service's own options, to its
 * client. The object holds the secret key: never log it (log {@link describeAwsTarget} instead).
 */
export function awsClientConfig(settings: AwsSettings): AwsClientConfig {
  const timeout = parseDuration(settings.requestTimeout);
  const config: AwsClientConfig = {
    maxAttempts: settings.maxAttempts,
    requestHandler: { requestTimeout: timeout, connectionTimeout: timeout },
  };
  if (settings.region !== '') config.region = settings.region;
  if (settings.endpoint !== '') config.endpoint = settings.endpoint;
  if (settings.profile !== '') config.profile = settings.profile;
  if (settings.accessKeyId !== '') {
    config.credentials = {
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      ...(settings.sessionToken !== '' ? { sessionToken: settings.sessionToken } : {}),
    };
  }
  return config;
}

/** What {@link awsClientConfig} returns: the shared subset of AWS SDK v3 client options. */
export interface AwsClientConfig {
  region?: string;
  endpoint?: string;
  profile?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  requestHandler: { requestTimeout: number; connectionTimeout: number };
}

/**
 * A line for logs and errors saying where a component talks to, with no secret in it:
 * `region eu-west-1, endpoint http://127.0.0.1:4566, credentials explicit (AKIA…ABCD)`.
 */
export function describeAwsTarget(settings: AwsSettings): string {
  const credentials = settings.accessKeyId !== ''
    ? `explicit (${settings.accessKeyId.slice(0, 4)}…${settings.accessKeyId.slice(-4)})`
    : settings.profile !== '' ? `profile ${settings.profile}` : 'default chain';
  return `region ${settings.region || '(from the AWS chain)'}, endpoint ${settings.endpoint || '(AWS)'}, credentials ${credentials}`;
}

/** AWS error names that mean "slow down / try again" for every service, whatever their HTTP status. */
const RETRIABLE_AWS_NAMES = new Set([
  'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ServiceUnavailable',
  'ServiceUnavailableException', 'InternalFailure', 'InternalError', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError',
]);

/**
 * True when an AWS SDK v3 failure may pass when retried: no HTTP answer (connection refused,
 * timeout), 5xx, 408, 429, a throttling or transient error name (every service's, plus
 * `retriableNames`), or the SDK's own `$retryable` mark.
 */
export function isRetriableAwsFailure(error: unknown, retriableNames?: ReadonlySet<string>): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? '';
  return status === undefined || status >= 500 || status === 408 || status === 429
    || RETRIABLE_AWS_NAMES.has(name) || retriableNames?.has(name) === true || Boolean(e?.$retryable);
}

/**
 * Turns an AWS SDK v3 failure into a SluiceError the runners understand: `retriableCode`
 * (SLUICE_DELIVERY_FAILED unless given) when {@link isRetriableAwsFailure} says retrying may help
 * (the service's own `retriableNames` included: S3's SlowDown, Kinesis's
 * ProvisionedThroughputExceeded); SLUICE_EVENT_REJECTED (not retriable, for the dead-letter path)
 * for the other 4xx answers (no such bucket or stream, access denied, validation errors). `what`
 * names the call and its target; `hint` says what to check when retrying cannot help. The message
 * never carries a secret.
 */
export function awsFailure(error: unknown, what: string, service: { retriableNames?: ReadonlySet<string>; hint: string; retriableCode?: 'SLUICE_DELIVERY_FAILED' | 'SLUICE_CHANNEL_UNAVAILABLE' }): SluiceError {
  if (error instanceof SluiceError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const retriable = isRetriableAwsFailure(error, service.retriableNames);
  return new SluiceError(retriable ? service.retriableCode ?? 'SLUICE_DELIVERY_FAILED' : 'SLUICE_EVENT_REJECTED',
    `${what} failed${status ? ` with HTTP ${status}` : ''} (${name}${e?.code ? ` ${e.code}` : ''}: ${e?.message ?? String(error)}); ${retriable ? 'it will be retried' : `retrying cannot fix this; ${service.hint}`}`,
    { cause: error, details: { status, name } });
}
