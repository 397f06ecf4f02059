import type { Readable } from 'node:stream';
import { Backoff } from '../backoff.js';
import type { SourceContext } from '../context.js';
import { defineComponent } from '../define.js';
import { isRetriable } from '../errors.js';
import { createHeaders, type SluiceEvent } from '../event.js';
import type { EventDrivenSource } from '../source.js';
import { LineSplitter } from './line-splitter.js';

/** Config of the `stdin` source. */
export interface StdinSourceConfig {
  maxLineLength: number;
}

/**
 * One event per line of the process's standard input. Reading pauses while a batch is being
 * committed; a refused batch (full channel) is retried with backoff until it is committed or the
 * source stops, so piped input is never dropped while the agent runs.
 */
export class StdinSource implements EventDrivenSource {
  readonly name: string;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private onData: ((chunk: Buffer) => void) | undefined;
  private onEnd: (() => void) | undefined;

  constructor(private readonly config: StdinSourceConfig, private readonly ctx: SourceContext, private readonly input: Readable = process.stdin) {
    this.name = ctx.name;
  }

  async start(): Promise<void> {
    if (this.onData) return;
    const splitter = new LineSplitter(this.config.maxLineLength);
    this.onData = (chunk: Buffer) => {
      const { lines } = splitter.push(chunk);
      if (lines.length > 0) this.enqueue(lines);
    };
    this.onEnd = () => {
      const rest = splitter.flush();
      if (rest) this.enqueue([rest]);
      this.ctx.logger.info('stdin closed; no more input');
    };
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.resume();
    this.ctx.metrics.startTime = Date.now();
  }

  async stop(): Promise<void> {
    if (!this.onData) return;
    this.stopped = true;
    this.input.off('data', this.onData);
    if (this.onEnd) this.input.off('end', this.onEnd);
    this.input.pause();
    this.onData = undefined;
    await this.chain;
    this.ctx.metrics.stopTime = Date.now();
  }

  private enqueue(lines: Buffer[]): void {
    this.input.pause();
    const events: SluiceEvent[] = lines.map((body) => ({ headers: createHeaders(), body: Buffer.from(body) }));
    this.chain = this.chain.then(() => this.deliverWithRetry(events)).finally(() => {
      if (!this.stopped) this.input.resume();
    });
  }

  private async deliverWithRetry(events: SluiceEvent[]): Promise<void> {
    const backoff = new Backoff(100, 5000);
    while (!this.stopped) {
      try {
        await this.ctx.deliver(events);
        return;
      } catch (error) {
        if (!isRetriable(error)) {
          this.ctx.logger.error({ err: error, lines: events.length }, 'stdin lines refused for a reason retrying cannot fix; dropped');
          this.ctx.metrics.inc('EventReadFail', events.length);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff.next()));
      }
    }
    this.ctx.logger.warn({ lines: events.length }, 'stdin source stopped before these lines were committed');
  }
}

export const stdinSource = defineComponent<'source', StdinSourceConfig>({
  kind: 'source',
  type: 'stdin',
  description: 'Reads standard input, one event per line.',
  guarantee: 'Lines are retried until committed while the agent runs; lines still unread or uncommitted when the agent stops are not delivered.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxLineLength: { type: 'integer', minimum: 1, default: 65536, description: 'Longest line in bytes; longer lines are cut.' },
    },
    required: ['maxLineLength'],
  },
  create: (config, ctx) => new StdinSource(config, ctx),
});
