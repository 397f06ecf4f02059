import { awsFailure, type SluiceError } from '@sluice/core';

/** Kinesis, Firehose and DynamoDB error names that mean "slow down / try again", whatever their status. */
const KINESIS_RETRIABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException', 'LimitExceededException', 'InternalFailureException', 'KMSThrottlingException',
  'ExpiredIteratorException', 'ResourceInUseException',
]);

/**
 * Turns an AWS SDK (Kinesis, Firehose, DynamoDB) failure into a SluiceError ({@link awsFailure}):
 * retriable for connection errors, timeouts, 5xx, 408/429 and throttling; SLUICE_EVENT_REJECTED
 * (not retriable) for the other 4xx answers (no such stream, access denied, validation errors).
 */
export function toSluiceError(error: unknown, what: string): SluiceError {
  return awsFailure(error, what, { retriableNames: KINESIS_RETRIABLE_NAMES, hint: 'check the stream name, region, endpoint and credentials' });
}

/** The error name of an AWS SDK failure (`ResourceNotFoundException`, ...), or undefined. */
export function awsErrorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}
