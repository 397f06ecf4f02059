import { awsClientConfig, type AwsSettings } from '@sluice/core';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { FirehoseClient } from '@aws-sdk/client-firehose';

/**
 * The SDK client options for `settings`. The Kinesis client speaks HTTP/2 by default, which
 * plain-HTTP emulators (kinesalite, LocalStack over http://) do not; so a plain `http:` endpoint
 * gets an HTTP/1.1 NodeHttpHandler with the configured timeouts. AWS (https) keeps the SDK's own
 * handler.
 */
async function clientOptions(settings: AwsSettings): Promise<Record<string, unknown>> {
  const options: Record<string, unknown> = { ...awsClientConfig(settings) };
  if (settings.endpoint.startsWith('http:')) {
    const { NodeHttpHandler } = await import('@smithy/node-http-handler');
    options.requestHandler = new NodeHttpHandler(awsClientConfig(settings).requestHandler);
  }
  return options;
}

/** A Kinesis Data Streams client; the SDK is imported on first use (start), not at load. */
export async function createKinesisClient(settings: AwsSettings): Promise<KinesisClient> {
  const { KinesisClient } = await import('@aws-sdk/client-kinesis');
  return new KinesisClient(await clientOptions(settings));
}

/** A Kinesis Data Firehose client, imported on first use like {@link createKinesisClient}. */
export async function createFirehoseClient(settings: AwsSettings): Promise<FirehoseClient> {
  const { FirehoseClient } = await import('@aws-sdk/client-firehose');
  return new FirehoseClient(await clientOptions(settings));
}
