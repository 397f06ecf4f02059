import type { Status } from '../component.js';
import type { SourceContext } from '../context.js';
import { defineComponent } from '../define.js';
import type { SluiceEvent } from '../event.js';
import type { PollableSource } from '../source.js';

/** Config of the `seq` source. */
export interface SeqSourceConfig {
  count: number;
  start: number;
  batchSize: number;
  bodySize: number;
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
 */
export class SeqSource implements PollableSource {
  readonly name: string;
  private next: number;
  private readonly end: number;

  constructor(private readonly config: SeqSourceConfig, private readonly ctx: SourceContext) {
    this.name = ctx.name;
    this.next = config.start;
    this.end = config.count === 0 ? Number.MAX_SAFE_INTEGER : config.start + config.count;
  }

  async start(): Promise<void> {
    this.ctx.metrics.startTime = Date.now();
  }

  async stop(): Promise<void> {
    this.ctx.metrics.stopTime = Date.now();
  }

  async poll(): Promise<Status> {
    const n = Math.min(this.config.batchSize, this.end - this.next);
    if (n <= 0) return 'backoff';
    const batch = this.makeBatch(this.next, n);
    await this.ctx.deliver(batch);
    this.next += n;
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
      events[i] = { headers: {}, body: block.subarray(offset, offset + length) };
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
  guarantee: 'A sequence number advances only after its batch was committed to every required channel; on restart the sequence begins again at start.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      count: { type: 'integer', minimum: 0, default: 0, description: 'Events to generate; 0 generates forever.' },
      start: { type: 'integer', minimum: 0, default: 0, description: 'The first sequence number.' },
      batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Events per batch delivered to the channels.' },
      bodySize: { type: 'integer', minimum: 0, maximum: MAX_BATCH_BYTES, default: 0, description: 'Body length in bytes (at most 64 MiB, and batchSize x bodySize at most 64 MiB); the number is padded with a space and x characters. 0 = just the digits.' },
    },
    required: ['count', 'start', 'batchSize', 'bodySize'],
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
