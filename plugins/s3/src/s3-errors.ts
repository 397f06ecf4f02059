import { SluiceError } from '@sluice/core';

/** S3 error names that mean "slow down / try again", whatever their HTTP status. */
const RETRIABLE_NAMES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable', 'RequestLimitExceeded', 'TooManyRequestsException']);

/**
 * Turns an @aws-sdk/client-s3 failure into a SluiceError: SLUICE_DELIVERY_FAILED (retriable) for
 * connection errors, timeouts, 5xx, 408/429 and throttling; SLUICE_EVENT_REJECTED (not
 * retriable, dead-letter) for the other 4xx answers (no such bucket, access denied, bad key).
 */
export function toSluiceError(error: unknown, what: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const retriable = status === undefined || status >= 500 || status === 408 || status === 429 || RETRIABLE_NAMES.has(name) || Boolean(e?.$retryable);
  const hint = retriable ? 'the batch will be retried' : 'retrying cannot fix this; check the bucket name, key template and credentials';
  return new SluiceError(retriable ? 'SLUICE_DELIVERY_FAILED' : 'SLUICE_EVENT_REJECTED',
    `${what} failed${status ? ` with HTTP ${status}` : ''} (${name}${e?.code ? ` ${e.code}` : ''}: ${e?.message ?? String(error)}); ${hint}`,
    { cause: error, details: { status, name } });
}
