import { BaseChannel, BaseTransaction } from '../base-channel.js';
import type { ComponentContext } from '../context.js';
import { defineComponent } from '../define.js';
import { SluiceError } from '../errors.js';
import { batchBytes, type SluiceEvent } from '../event.js';
import { EventQueue } from '../event-queue.js';
import { WaitList } from '../wait-list.js';
import { durationOption, parseDuration, parseSize, sizeOption, type Amount } from '../units.js';

/** Config of the `memory` channel. */
export interface MemoryChannelConfig {
  capacity: number;
  transactionCapacity: number;
  byteCapacity: Amount;
  keepAlive: Amount;
}

/**
 * An in-heap FIFO channel. Fast, and not durable: whatever it holds is lost when the process
 * dies, and what is left at stop after the sinks' drain window is lost too. Capacity counts events
 * that are taken but not yet committed, so a rollback always has room to return them.
 */
export class MemoryChannel extends BaseChannel {
  readonly queue = new EventQueue<SluiceEvent>();
  /** Events taken by open transactions (still occupying capacity until their commit). */
  inFlight = 0;
  /** Body bytes held, including in-flight takes. */
  bytes = 0;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly txCapacity: number;
  readonly keepAliveMs: number;
  private readonly spaceWaiters = new WaitList();

  constructor(config: MemoryChannelConfig, ctx: ComponentContext) {
    super(ctx);
    this.maxEvents = config.capacity;
    this.txCapacity = config.transactionCapacity;
    this.maxBytes = parseSize(config.byteCapacity);
    this.keepAliveMs = parseDuration(config.keepAlive, 's');
  }

  get size(): number {
    return this.queue.length + this.inFlight;
  }

  get capacity(): number {
    return this.maxEvents;
  }

  protected override async _start(): Promise<void> {
    this.ctx.logger.info({ capacity: this.maxEvents }, 'memory channel started: events it holds are lost if the process crashes');
  }

  protected override async _stop(): Promise<void> {
    if (this.queue.length > 0) {
      this.ctx.logger.warn({ lost: this.queue.length }, 'memory channel stopped with undelivered events; they are lost');
    }
    this.queue.clear();
    this.wakeSpaceWaiters();
  }

  protected _transaction(): BaseTransaction {
    return new MemoryTransaction(this);
  }

  /** True when `events` more events of `bytes` bytes fit now. */
  hasRoom(events: number, bytes: number): boolean {
    if (this.size + events > this.maxEvents) return false;
    return this.maxBytes === 0 || this.bytes + bytes <= this.maxBytes || this.size === 0;
  }

  /** Waits until room may have been freed, or `ms` passed. */
  waitForSpace(ms: number): Promise<void> {
    return this.spaceWaiters.wait(ms);
  }

  wakeSpaceWaiters(): void {
    this.spaceWaiters.wakeAll();
  }

  readable(): void {
    this.notifyReadable();
  }
}

class MemoryTransaction extends BaseTransaction {
  private puts: SluiceEvent[] = [];
  private takes: SluiceEvent[] = [];
  private takenBytes = 0;

  constructor(private readonly channel: MemoryChannel) {
    super(channel.metrics);
  }

  protected _put(events: readonly SluiceEvent[]): void {
    if (this.puts.length + events.length > this.channel.txCapacity) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `Channel '${this.channel.name}': a transaction of ${this.puts.length + events.length} puts exceeds transactionCapacity ${this.channel.txCapacity}; lower the source's batchSize or raise transactionCapacity`);
    }
    if (this.puts.length === 0) this.puts = events.slice();
    else for (let i = 0; i < events.length; i++) this.puts.push(events[i]!);
  }

  protected _take(max: number): SluiceEvent[] {
    const room = this.channel.txCapacity - this.takes.length;
    if (room <= 0) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `Channel '${this.channel.name}': a transaction cannot take more than transactionCapacity ${this.channel.txCapacity} events`);
    }
    const events = this.channel.queue.shiftMany(Math.min(max, room));
    if (events.length === 0) return events;
    const bytes = batchBytes(events);
    this.channel.inFlight += events.length;
    this.takenBytes += bytes;
    if (this.takes.length === 0) this.takes = events;
    else for (let i = 0; i < events.length; i++) this.takes.push(events[i]!);
    return events;
  }

  protected async _commit(): Promise<void> {
    const channel = this.channel;
    if (this.takes.length > 0) {
      channel.inFlight -= this.takes.length;
      channel.bytes -= this.takenBytes;
      this.takes = [];
      this.takenBytes = 0;
      channel.wakeSpaceWaiters();
    }
    if (this.puts.length === 0) return;
    const bytes = batchBytes(this.puts);
    if (!channel.hasRoom(this.puts.length, bytes)) {
      const deadline = Date.now() + channel.keepAliveMs;
      const started = Date.now();
      while (!channel.hasRoom(this.puts.length, bytes)) {
        const left = deadline - Date.now();
        if (left <= 0 || !channel.running) {
          channel.metrics.inc('ChannelBlockedMillis', Date.now() - started);
          throw new SluiceError('SLUICE_CHANNEL_FULL', `Channel '${channel.name}' is full (${channel.size}/${channel.maxEvents} events, ${channel.bytes} bytes); no room for ${this.puts.length} events after waiting ${channel.keepAliveMs} ms`);
        }
        await channel.waitForSpace(left);
      }
      channel.metrics.inc('ChannelBlockedMillis', Date.now() - started);
    }
    channel.queue.pushAll(this.puts);
    channel.bytes += bytes;
    this.puts = [];
    channel.readable();
  }

  protected _rollback(): void {
    this.puts = [];
    if (this.takes.length === 0) return;
    const channel = this.channel;
    channel.inFlight -= this.takes.length;
    channel.queue.unshiftAll(this.takes);
    this.takes = [];
    this.takenBytes = 0;
    channel.readable();
  }
}

export const memoryChannel = defineComponent<'channel', MemoryChannelConfig>({
  kind: 'channel',
  type: 'memory',
  description: 'In-memory FIFO channel: fastest, but its events are lost if the process crashes.',
  guarantee: 'None across a crash: events held in memory are lost if the process dies. On a graceful stop the sinks drain it for drainTimeout first; what is left is lost and logged.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      capacity: { type: 'integer', minimum: 1, default: 100000, description: 'Maximum events held (including events taken but not yet committed).' },
      transactionCapacity: { type: 'integer', minimum: 1, default: 10000, description: 'Maximum events one transaction may put or take; must be at least the batchSize of every source and sink using the channel.' },
      byteCapacity: sizeOption('Maximum body bytes held; 0 for no byte limit.', '512MiB'),
      keepAlive: durationOption('How long a commit waits for room before failing with SLUICE_CHANNEL_FULL (Flume keep-alive).', '3s', 's'),
    },
    required: ['capacity', 'transactionCapacity', 'byteCapacity', 'keepAlive'],
  },
  flumeDefaults: { capacity: 100, transactionCapacity: 100 },
  fromFlume(properties, flume) {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'keep-alive') config.keepAlive = `${value}s`;
      else if (key === 'byteCapacity') config.byteCapacity = `${value}B`;
      else if (key === 'byteCapacityBufferPercentage') flume?.warn(key, 'reserves heap for Flume\'s Java event headers; Sluice counts body bytes only and ignores it');
      else config[key] = value;
    }
    return config;
  },
  create: (config, ctx) => new MemoryChannel(config, ctx),
});
