import type { Status } from '../component.js';
import type { SourceContext } from '../context.js';
import { defineComponent } from '../define.js';
import { createHeaders, type SluiceEvent } from '../event.js';
import { OrderedDeliveries } from '../ordered-deliveries.js';
import type { PollableSource } from '../source.js';

/** Config of the `seq` source. */
export interface SeqSourceConfig {
  count: number;
  start: number;
  batchSize: number;
  bodySize: number;
  inFlight: number;
}

const SPACE = 0x20;
const FILL = 0x78; // 'x'

function decimalDigits(value: number): number {
  let digits = 1;
  while (value >= 10) {
    value = Math.floor(value / 10);
    digits++;
  }
  return digits;
}

/**
 * A load generator: event bodies are the decimal sequence numbers start, start+1, ..., padded
 * with a space and `x`s up to bodySize. Stops producing after `count` events (0 = forever).
 * The sequence is not persisted: after a restart it begins again at `start`.
 *
 * Up to `inFlight` batches are being committed at once ({@link OrderedDeliveries}), so the next
 * batch is generated and handed to the channels while the previous commit waits for the disk.
 * Each `poll` starts one batch; it waits only when `inFlight` are outstanding, and at the end of
 * `count` for all of them. A failed commit discards the batches after it and is thrown; the next
 * poll generates again from the failed batch.
 */
export class SeqSource implements PollableSource {
  readonly name: string;
  /** The first number of the next batch to generate. */
  private next: number;
  /** The first number not yet committed with everything before it. */
  private committed: number;
  private readonly end: number;
  private readonly deliveries: OrderedDeliveries<number>;

  constructor(private readonly config: SeqSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.next = config.start;
    this.committed = config.start;
    this.end = config.count === 0 ? Number.MAX_SAFE_INTEGER : config.start + config.count;
    this.deliveries = new OrderedDeliveries<number>(config.inFlight, (after) => {
      this.committed = after;
    });
  }

  async start(): Promise<void> {
    this.ctx.metrics.startTime = Date.now();
  }

  /** Waits for the batches still being committed (the runner has stopped polling). */
  async stop(): Promise<void> {
    await this.deliveries.abandon();
    this.next = this.committed;
    this.ctx.metrics.stopTime = Date.now();
  }

  async poll(): Promise<Status> {
    const n = Math.min(this.config.batchSize, this.end - this.next);
    try {
      if (n <= 0) {
        // The last batches must be committed (or fail, to be generated again) before the end.
        await this.deliveries.flush();
        return 'backoff';
      }
      const first = this.next;
      const delivery = this.ctx.deliver(this.makeBatch(first, n));
      this.next = first + n;
      await this.deliveries.push(first + n, delivery);
    } catch (error) {
      // Nothing is in flight any more; resume at the first batch not committed in order.
      this.next = this.committed;
      throw error;
    }
    return 'ready';
  }

  private makeBatch(first: number, n: number): SluiceEvent[] {
    const bodySize = this.config.bodySize;
    const slot = Math.max(bodySize, decimalDigits(first + n - 1));
    const block = Buffer.allocUnsafe(slot * n);
    block.fill(FILL);
    const events = new Array<SluiceEvent>(n);
    for (let i = 0; i < n; i++) {
      const offset = i * slot;
      let value = first + i;
      const digits = decimalDigits(value);
      for (let at = offset + digits - 1; at >= offset; at--) {
        block[at] = 0x30 + (value % 10);
        value = Math.floor(value / 10);
      }
      const length = Math.max(bodySize, digits);
      if (digits < length) block[offset + digits] = SPACE;
      events[i] = { headers: createHeaders(), body: block.subarray(offset, offset + length) };
    }
    return events;
  }
}

/** Most bytes of bodies one generated batch may hold (they are one allocation). */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;

export const seqSource = defineComponent<'source', SeqSourceConfig>({
  kind: 'source',
  type: 'seq',
  description: 'Generates events whose bodies start with increasing decimal sequence numbers (load testing).',
  guarantee: 'A sequence number counts as done only after its batch and every batch before it were committed to every required channel. Up to inFlight batches are committed at once; when one fails, those after it are generated again from the failed one, so a channel that had already committed one of them holds it twice (at-least-once). On restart the sequence begins again at start.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      count: { type: 'integer', minimum: 0, default: 0, description: 'Events to generate; 0 generates forever.' },
      start: { type: 'integer', minimum: 0, default: 0, description: 'The first sequence number.' },
      batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Events per batch delivered to the channels.' },
      bodySize: { type: 'integer', minimum: 0, maximum: MAX_BATCH_BYTES, default: 0, description: 'Body length in bytes (at most 64 MiB, and batchSize x bodySize at most 64 MiB); the number is padded with a space and x characters. 0 = just the digits.' },
      inFlight: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'Batches being committed at once, acknowledged in order: the next batch is generated while the previous commit (a file channel fsync) is still in flight. 1 waits for each commit before generating the next.' },
    },
    required: ['count', 'start', 'batchSize', 'bodySize', 'inFlight'],
  },
  // A batch's bodies are one allocation: a 2 GiB body passed the schema and took the agent to 4 GB.
  check: (config) => (config.batchSize * config.bodySize > MAX_BATCH_BYTES
    ? [{ path: '/bodySize', message: `a batch of ${config.batchSize} events of ${config.bodySize} bytes is ${config.batchSize * config.bodySize} bytes, over the 64 MiB a seq batch may hold`, hint: 'lower bodySize or batchSize' }]
    : []),
  // Flume's SequenceGeneratorSource puts one event per transaction unless told otherwise.
  flumeDefaults: { batchSize: 1 },
  fromFlume(properties) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'totalEvents') config.count = value;
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new SeqSource(config, ctx),
});
