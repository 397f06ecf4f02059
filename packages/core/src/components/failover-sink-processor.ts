import type { Status } from '../component.js';
import type { ProcessorContext } from '../context.js';
import { defineComponent } from '../define.js';
import { SluiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import { throwConfigProblems, type Problem } from '../problem.js';
import type { NamedSink, SinkProcessor } from '../sink-processor.js';
import { durationOption, parseDuration, type Amount } from '../units.js';

/** Config of the `failover` sink processor. */
export interface FailoverSinkProcessorConfig {
  /** Sink name -> priority; the highest live priority is used. Unlisted sinks have priority 0. */
  priority: Record<string, number>;
  /** Longest time a failed sink is left out, e.g. `30s`. */
  maxPenalty: Amount;
}

/** Base of the failure penalty, as in Flume: 1 s, doubled per consecutive failure. */
const PENALTY_BASE_MS = 1000;

interface Member extends NamedSink {
  priority: number;
  order: number;
  fails: number;
  /** When a dead member may be tried again (epoch ms). */
  retryAt: number;
}

/**
 * Sends every batch through the live sink with the highest priority (ties: the group's order).
 * A sink whose `process` throws is moved to the dead pool for min(maxPenalty, 1 s x 2^fails) and
 * the same call tries the next live sink, so the batch the failed sink rolled back is delivered
 * by the next one. After its penalty a dead sink gets a try at the start of each call: a delivered
 * batch ('ready') makes it live again (so traffic returns to a recovered primary), a failure
 * doubles its penalty, and 'backoff' (nothing to take) keeps it dead and due.
 * Rejects with SLUICE_DELIVERY_FAILED only when every sink failed.
 */
export class FailoverSinkProcessor implements SinkProcessor {
  readonly name: string;
  readonly sinks: readonly NamedSink[];
  private readonly live: Member[] = [];
  private readonly dead: Member[] = [];
  private readonly maxPenaltyMs: number;

  constructor(config: FailoverSinkProcessorConfig, sinks: readonly NamedSink[], name: string, private readonly logger?: Logger, private readonly now: () => number = Date.now) {
    this.name = name;
    this.sinks = sinks;
    this.maxPenaltyMs = parseDuration(config.maxPenalty, 'ms');
    throwConfigProblems(failoverPriorityProblems(config, sinks.map((s) => s.name)), `failover processor '${name}'`);
    sinks.forEach((s, order) => this.live.push({ ...s, priority: config.priority[s.name] ?? 0, order, fails: 0, retryAt: 0 }));
    this.sortLive();
  }

  /** The sink that gets the next batch, for tests and `sluice top`. */
  get active(): string | undefined {
    return this.live[0]?.name;
  }

  async start(): Promise<void> {
    for (const s of this.sinks) await s.sink.start();
  }

  async stop(): Promise<void> {
    for (const s of this.sinks) await s.sink.stop();
  }

  async process(): Promise<Status> {
    const now = this.now();
    // Retry dead sinks whose penalty is over, best priority first.
    for (const member of this.dead.filter((m) => m.retryAt <= now).sort(byPriority)) {
      try {
        const status = await member.sink.process();
        // Only a delivered batch proves recovery: 'backoff' (nothing to take) leaves the sink dead,
        // due for another try on the next call, as in Flume.
        if (status === 'ready') {
          this.revive(member);
          return status;
        }
      } catch (error) {
        this.penalize(member, error, false);
      }
    }
    let lastError: unknown;
    while (this.live.length > 0) {
      const member = this.live[0]!;
      try {
        return await member.sink.process();
      } catch (error) {
        lastError = error;
        this.live.shift();
        this.penalize(member, error, true);
      }
    }
    throw new SluiceError('SLUICE_DELIVERY_FAILED', `failover group '${this.name}': every sink failed (${this.sinks.map((s) => s.name).join(', ')}); the batch stays in the channel and is retried`, { cause: lastError });
  }

  private penalize(member: Member, error: unknown, wasLive: boolean): void {
    member.fails++;
    const penalty = Math.min(this.maxPenaltyMs, PENALTY_BASE_MS * 2 ** member.fails);
    member.retryAt = this.now() + penalty;
    if (wasLive) this.dead.push(member);
    this.logger?.warn({ sink: member.name, err: error, penaltyMs: penalty, next: this.live[0]?.name }, 'failover: sink failed; using the next one');
  }

  private revive(member: Member): void {
    this.dead.splice(this.dead.indexOf(member), 1);
    member.fails = 0;
    this.live.push(member);
    this.sortLive();
    this.logger?.info({ sink: member.name, active: this.live[0]?.name }, 'failover: sink is back');
  }

  private sortLive(): void {
    this.live.sort(byPriority);
  }
}

function byPriority(a: Member, b: Member): number {
  return b.priority - a.priority || a.order - b.order;
}

/**
 * Priorities naming a sink that is not in the group (a typo would otherwise leave the intended
 * primary at priority 0). The constructor throws them; the definition's `check` reports them with
 * the group's members from the topology. Pure.
 */
export function failoverPriorityProblems(config: FailoverSinkProcessorConfig, members: readonly string[]): Problem[] {
  return Object.keys(config.priority).filter((key) => !members.includes(key)).map((key) => ({
    path: `/priority/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
    message: `priority names sink '${key}', which is not in the group (${members.join(', ')}); name one of the group's sinks or remove the entry`,
  }));
}

export const failoverSinkProcessor = defineComponent<'processor', FailoverSinkProcessorConfig>({
  kind: 'processor',
  type: 'failover',
  description: 'Sends batches through the highest-priority live sink of a group and fails over to the next.',
  guarantee: 'No batch is lost when a sink fails: it rolled back, and the next sink (or a retry) delivers it; at-least-once.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      priority: { type: 'object', required: [], additionalProperties: { type: 'integer' }, default: {}, description: 'Sink name -> priority (higher is preferred); unlisted sinks have 0, ties keep group order.' },
      maxPenalty: durationOption('Longest time a failed sink is left out (the penalty doubles from 2s per consecutive failure).', '30s', 'ms'),
    },
    required: ['priority', 'maxPenalty'],
  } as never,
  check: (config, scope) => (scope?.sinks ? failoverPriorityProblems(config, scope.sinks) : []),
  /** Flume: `priority.k1 = 10`, `maxpenalty = 10000` (ms). */
  fromFlume(properties) {
    const out: Record<string, unknown> = {};
    const priority: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key.startsWith('priority.')) priority[key.slice('priority.'.length)] = value;
      else if (key.toLowerCase() === 'maxpenalty') out.maxPenalty = /^\d+$/.test(value.trim()) ? `${value.trim()}ms` : value;
      else out[key] = value;
    }
    out.priority = priority;
    return out;
  },
  create: (config, ctx: ProcessorContext) => new FailoverSinkProcessor(config, ctx.sinks, ctx.name, ctx.logger),
});
