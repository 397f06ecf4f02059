import { SluiceError } from '@sluice/core';

/** Kinesis and Firehose error names that mean "slow down / try again", whatever their status. */
const RETRIABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException', 'LimitExceededException', 'ThrottlingException', 'ServiceUnavailableException',
  'InternalFailure', 'InternalFailureException', 'KMSThrottlingException', 'ExpiredIteratorException', 'ResourceInUseException',
  'RequestTimeout', 'RequestTimeoutException', 'TimeoutError',
]);

/**
 * Turns an AWS SDK (Kinesis, Firehose, DynamoDB) failure into a SluiceError:
 * SLUICE_DELIVERY_FAILED (retriable) for connection errors, timeouts, 5xx, 408/429 and
 * throttling; SLUICE_EVENT_REJECTED (not retriable) for the other 4xx answers (no such stream,
 * access denied, validation errors). The message names the call and the target, never a secret.
 */
export function toSluiceError(error: unknown, what: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const retriable = status === undefined || status >= 500 || status === 408 || status === 429 || RETRIABLE_NAMES.has(name) || Boolean(e?.$retryable);
  const hint = retriable ? 'it will be retried' : 'retrying cannot fix this; check the stream name, region, endpoint and credentials';
  return new SluiceError(retriable ? 'SLUICE_DELIVERY_FAILED' : 'SLUICE_EVENT_REJECTED',
    `${what} failed${status ? ` with HTTP ${status}` : ''} (${name}${e?.code ? ` ${e.code}` : ''}: ${e?.message ?? String(error)}); ${hint}`,
    { cause: error, details: { status, name } });
}

/** The error name of an AWS SDK failure (`ResourceNotFoundException`, ...), or undefined. */
export function awsErrorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}
