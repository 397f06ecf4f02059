import type { Status } from '../component.js';
import type { ProcessorContext } from '../context.js';
import { defineComponent } from '../define.js';
import { SluiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { NamedSink, SinkProcessor } from '../sink-processor.js';
import { durationOption, parseDuration, type Amount } from '../units.js';

/** Config of the `load_balance` sink processor. */
export interface LoadBalanceSinkProcessorConfig {
  selector: 'round_robin' | 'random';
  backoff: boolean;
  maxTimeOut: Amount;
}

/** Base of the blacklist time, as in Flume's OrderSelector: 1 s, doubled per consecutive failure. */
const BACKOFF_BASE_MS = 1000;

/**
 * Spreads batches over a group's sinks, round robin or at random. When a sink's `process` throws,
 * the same call tries the next sink, so the rolled-back batch is delivered by another; with
 * `backoff` a failed sink is left out for min(maxTimeOut, 1 s x 2^fails). Rejects with
 * SLUICE_DELIVERY_FAILED only when every available sink failed (or all are backed off).
 */
export class LoadBalanceSinkProcessor implements SinkProcessor {
  readonly name: string;
  private next = 0;
  private readonly fails: number[];
  private readonly restoreAt: number[];
  private readonly maxTimeOutMs: number;

  constructor(private readonly config: LoadBalanceSinkProcessorConfig, readonly sinks: readonly NamedSink[], name: string, private readonly logger?: Logger, private readonly now: () => number = Date.now, private readonly random: () => number = Math.random) {
    this.name = name;
    this.fails = sinks.map(() => 0);
    this.restoreAt = sinks.map(() => 0);
    this.maxTimeOutMs = parseDuration(config.maxTimeOut, 'ms');
  }

  async start(): Promise<void> {
    for (const s of this.sinks) await s.sink.start();
  }

  async stop(): Promise<void> {
    for (const s of this.sinks) await s.sink.stop();
  }

  async process(): Promise<Status> {
    let lastError: unknown;
    for (const i of this.order()) {
      const member = this.sinks[i]!;
      try {
        const status = await member.sink.process();
        this.fails[i] = 0;
        return status;
      } catch (error) {
        lastError = error;
        this.fails[i]! += 1;
        const blockedMs = this.config.backoff ? Math.min(this.maxTimeOutMs, BACKOFF_BASE_MS * 2 ** this.fails[i]!) : 0;
        this.restoreAt[i] = this.now() + blockedMs;
        this.logger?.warn({ sink: member.name, err: error, backoffMs: blockedMs }, 'load_balance: sink failed; trying the next one');
      }
    }
    throw new SluiceError('SLUICE_DELIVERY_FAILED', `load_balance group '${this.name}': no sink could take the batch (${this.sinks.map((s) => s.name).join(', ')}); it stays in the channel and is retried`, { cause: lastError });
  }

  /** The sink indices to try for one call, skipping backed-off sinks. */
  private order(): number[] {
    const n = this.sinks.length;
    const now = this.now();
    const available: number[] = [];
    if (this.config.selector === 'round_robin') {
      const start = this.next;
      this.next = (this.next + 1) % n;
      for (let k = 0; k < n; k++) {
        const i = (start + k) % n;
        if (this.restoreAt[i]! <= now) available.push(i);
      }
      return available;
    }
    for (let i = 0; i < n; i++) if (this.restoreAt[i]! <= now) available.push(i);
    for (let i = available.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [available[i], available[j]] = [available[j]!, available[i]!];
    }
    return available;
  }
}

export const loadBalanceSinkProcessor = defineComponent<'processor', LoadBalanceSinkProcessorConfig>({
  kind: 'processor',
  type: 'load_balance',
  description: 'Spreads batches over a group\'s sinks (round robin or random), skipping failed ones.',
  guarantee: 'No batch is lost when a sink fails: it rolled back, and another sink (or a retry) delivers it; at-least-once.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      selector: { type: 'string', enum: ['round_robin', 'random'], default: 'round_robin', description: 'How the next sink is chosen.' },
      backoff: { type: 'boolean', default: false, description: 'Leave a failed sink out for an exponentially growing time.' },
      maxTimeOut: durationOption('Longest time a failed sink is left out when backoff is on (Flume selector.maxTimeOut).', '30s', 'ms'),
    },
    required: ['selector', 'backoff', 'maxTimeOut'],
  },
  /** Flume: `selector = round_robin`, `backoff = true`, `selector.maxTimeOut = 30000` (ms). */
  fromFlume(properties) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'selector.maxTimeOut') out.maxTimeOut = /^\d+$/.test(value.trim()) ? `${value.trim()}ms` : value;
      else if (key === 'selector') out.selector = value.trim().toLowerCase();
      else out[key] = value;
    }
    return out;
  },
  create: (config, ctx: ProcessorContext) => new LoadBalanceSinkProcessor(config, ctx.sinks, ctx.name, ctx.logger),
});
