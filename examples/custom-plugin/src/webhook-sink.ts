import { BatchSink, defineComponent, DURATION_PATTERN, parseDuration, SluiceError, type SinkContext, type SluiceEvent } from '@sluice/core';

/** Config of the `webhook` sink. */
export interface WebhookSinkConfig {
  url: string;
  headers: Record<string, string>;
  timeout: string;
  batchSize: number;
}

/**
 * POSTs each batch as one JSON array in Flume's JSONHandler shape
 * (`[{"headers":{...},"body":"..."}]`) to a URL. 2xx commits the batch; 429, 5xx, timeouts and
 * connection errors are retriable (the batch stays in the channel and is retried with backoff);
 * any other 4xx is SLUICE_EVENT_REJECTED, which retrying cannot fix.
 */
export class WebhookSink extends BatchSink {
  private readonly timeoutMs: number;

  constructor(private readonly config: WebhookSinkConfig, ctx: SinkContext) {
    super(ctx, config.batchSize);
    this.timeoutMs = parseDuration(config.timeout);
  }

  protected async write(events: SluiceEvent[]): Promise<void> {
    const payload = JSON.stringify(events.map((e) => ({ headers: e.headers, body: e.body.toString('utf8') })));
    let response: Response;
    try {
      response = await fetch(this.config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...this.config.headers },
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer();
    } catch (cause) {
      this.ctx.metrics.inc('ConnectionFailedCount');
      throw new SluiceError('SLUICE_DELIVERY_FAILED', `webhook sink '${this.name}': POST ${this.config.url} failed: ${(cause as Error).message}`, { cause });
    }
    if (response.ok) return;
    const retriable = response.status === 429 || response.status >= 500;
    throw new SluiceError(retriable ? 'SLUICE_DELIVERY_FAILED' : 'SLUICE_EVENT_REJECTED', `webhook sink '${this.name}': ${this.config.url} answered ${response.status} ${response.statusText}`, { details: { status: response.status } });
  }
}

export const webhookSink = defineComponent<'sink', WebhookSinkConfig>({
  kind: 'sink',
  type: 'webhook',
  description: 'POSTs batches of events as a JSON array ({headers, body} per event) to a URL.',
  guarantee: 'At-least-once: a batch is committed only after a 2xx answer; a timeout or crash after the server accepted it repeats the batch.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^https?://', description: 'The URL to POST batches to.' },
      headers: { type: 'object', additionalProperties: { type: 'string' }, required: [], default: {}, description: 'Extra request headers, e.g. an Authorization header.' },
      timeout: { type: 'string', pattern: DURATION_PATTERN, default: '10s', description: 'How long one POST may take before it counts as failed.' },
      batchSize: { type: 'integer', minimum: 1, default: 100, description: 'Events per POST (and per transaction).' },
    },
    required: ['url', 'headers', 'timeout', 'batchSize'],
  },
  create: (config, ctx) => new WebhookSink(config, ctx),
});
