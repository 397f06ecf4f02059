import {
  AWS_REQUIRED, AWS_SCHEMA_PROPERTIES, awsClientConfig, awsFailure, awsSettingsProblems, describeAwsTarget, isRetriableAwsFailure, parseDuration, SluiceError,
  type AwsSettings, type Problem,
} from '@sluice/core';
import type * as SqsSdk from '@aws-sdk/client-sqs';

/** The @aws-sdk/client-sqs module, loaded on first use so topologies without SQS never pay for it. */
export type SqsModule = typeof SqsSdk;

/** The keys every sqs component shares: the queue and the AWS settings from core. */
export interface SqsQueueConfig extends AwsSettings {
  queueUrl: string;
}

/** JSON Schema properties of {@link SqsQueueConfig}; spread into each sqs component's schema. */
export const QUEUE_SCHEMA_PROPERTIES = {
  queueUrl: { type: 'string', minLength: 1, description: 'URL of the queue (https://sqs.<region>.amazonaws.com/<account>/<name>; a name ending in .fifo is a FIFO queue). It must exist. Without endpoint, requests go to this URL\'s host; without region, the region is read from it when it is an AWS URL.' },
  ...AWS_SCHEMA_PROPERTIES,
} as const;

/** Names of {@link QUEUE_SCHEMA_PROPERTIES}, for `required`. */
export const QUEUE_REQUIRED = ['queueUrl', ...AWS_REQUIRED] as const;

/** Seconds SQS accepts for a wait (0-20) or visibility timeout (0-43200), from a duration. */
export function wholeSeconds(duration: string, max: number): number {
  return Math.min(max, Math.max(0, Math.round(parseDuration(duration) / 1000)));
}

/** True for a FIFO queue (its name ends in `.fifo`, as SQS requires). */
export function isFifoQueue(queueUrl: string): boolean {
  return queueUrl.endsWith('.fifo');
}

/** What the schema cannot say about the queue keys: a queueUrl that is not a URL, and the AWS keys' problems. For `check`. */
export function queueProblems(config: SqsQueueConfig): Problem[] {
  const problems: Problem[] = [];
  // Not new URL(): emulators hand out URLs like http://sqs.us-east-1.127.0.0.1:4566/000000000000/q, which WHATWG URL refuses.
  if (QUEUE_URL.exec(config.queueUrl) === null) {
    problems.push({ path: '/queueUrl', message: `queueUrl '${config.queueUrl}' is not a queue URL`, hint: 'copy it from the console or `aws sqs get-queue-url`: https://sqs.<region>.amazonaws.com/<account>/<queue>' });
  }
  return [...problems, ...awsSettingsProblems(config)];
}

/** scheme://host[:port]/path: group 1 is the origin, group 2 the host. */
const QUEUE_URL = /^(https?:\/\/([^/\s:]+)(?::[0-9]+)?)\/\S+$/;

/** An SQS client and the SDK module it came from. */
export interface SqsConnection {
  sdk: SqsModule;
  client: SqsSdk.SQSClient;
}

/**
 * Loads @aws-sdk/client-sqs and builds a client from the shared AWS settings. An empty endpoint
 * becomes the queue URL's origin (what the SDK would pick anyway, without its console warning);
 * an empty region is read from an AWS queue URL (`sqs.<region>.amazonaws.com`), else left to the
 * SDK's chain. Throws SLUICE_COMPONENT_START when the SDK cannot be loaded.
 */
export async function connectSqs(config: SqsQueueConfig, component: string): Promise<SqsConnection> {
  let sdk: SqsModule;
  try {
    sdk = await import('@aws-sdk/client-sqs');
  } catch (cause) {
    throw new SluiceError('SLUICE_COMPONENT_START', `${component} cannot load @aws-sdk/client-sqs; install it next to @sluice/plugin-sqs`, { cause });
  }
  const options = awsClientConfig(config);
  const [, origin, host] = QUEUE_URL.exec(config.queueUrl) ?? [];
  if (options.endpoint === undefined && origin !== undefined) options.endpoint = origin;
  if (options.region === undefined && host !== undefined) {
    const match = /(?:^|\.)sqs\.([a-z0-9-]+)\.amazonaws\.com$/.exec(host) ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com$/.exec(host);
    if (match) options.region = match[1];
  }
  return { sdk, client: new sdk.SQSClient({ ...options, useQueueUrlAsEndpoint: false }) };
}

/** A log line naming the queue and where it is reached, without secrets. */
export function describeQueue(config: SqsQueueConfig): string {
  return `${config.queueUrl} (${describeAwsTarget(config)})`;
}

/** SQS error names that mean "slow down or try again", whatever their HTTP status. */
const SQS_RETRIABLE_NAMES = new Set(['RequestThrottled', 'KmsThrottled', 'OverLimit']);

/** True when an SQS failure (a thrown error, or a batch entry's Code/SenderFault) may pass when retried. */
export function isRetriableSqsFailure(error: unknown): boolean {
  return isRetriableAwsFailure(error, SQS_RETRIABLE_NAMES);
}

/**
 * Turns an @aws-sdk/client-sqs failure into a SluiceError ({@link awsFailure}) with `code` for a
 * retriable failure (connection refused, timeout, 5xx, throttling) and SLUICE_EVENT_REJECTED
 * otherwise (no such queue, access denied, invalid contents), so runners retry only what
 * retrying can fix.
 */
export function toSluiceError(error: unknown, what: string, code: 'SLUICE_DELIVERY_FAILED' | 'SLUICE_CHANNEL_UNAVAILABLE' = 'SLUICE_DELIVERY_FAILED'): SluiceError {
  return awsFailure(error, what, { retriableNames: SQS_RETRIABLE_NAMES, retriableCode: code, hint: 'check queueUrl, the credentials\' permissions and the message contents' });
}
