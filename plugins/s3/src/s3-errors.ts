import { awsFailure, type SluiceError } from '@sluice/core';

/** S3 error names that mean "slow down / try again", whatever their HTTP status. */
const S3_RETRIABLE_NAMES = new Set(['SlowDown']);

/**
 * Turns an @aws-sdk/client-s3 failure into a SluiceError ({@link awsFailure}): retriable for
 * connection errors, timeouts, 5xx, 408/429 and throttling (SlowDown); SLUICE_EVENT_REJECTED (not
 * retriable, dead-letter) for the other 4xx answers (no such bucket, access denied, bad key).
 */
export function toSluiceError(error: unknown, what: string): SluiceError {
  return awsFailure(error, what, { retriableNames: S3_RETRIABLE_NAMES, hint: 'check the bucket name, key template and credentials' });
}
