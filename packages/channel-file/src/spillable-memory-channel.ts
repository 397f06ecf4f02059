import {
  BaseChannel, BaseTransaction, batchBytes, EventQueue, MetricGroup, parseSize, SluiceError,
  type ComponentContext, type SluiceEvent, type Transaction,
} from '@sluice/core';
import { FileChannel, type FileChannelConfig } from './file-channel.js';

/** Config of the `spillablememory` channel: the memory part's limits, then the overflow's file channel keys. */
export interface SpillableMemoryChannelConfig extends Omit<FileChannelConfig, 'capacity' | 'byteCapacity'> {
  memoryCapacity: number;
  overflowCapacity: number;
  byteCapacity: string;
  overflowByteCapacity: string;
}

/**
 * Flume's SpillableMemoryChannel: events live in memory while it has room (`memoryCapacity`,
 * `byteCapacity`) and spill to a file channel (the overflow, up to `overflowCapacity`) when it is
 * full, so a burst or a stalled sink does not fill the heap, and a flowing pipeline never touches
 * the disk. Takes keep the commit order across memory and overflow.
 *
 * Guarantee: what is in memory is lost if the process dies (as with the memory channel); what
 * spilled to the overflow is durable like the file channel (fsync per commit by default) and is
 * delivered after a restart. A put batch fills what room memory has left and spills the rest.
 */
export class SpillableMemoryChannel extends BaseChannel {
  readonly memory = new EventQueue<SluiceEvent>();
  /**
   * Where the events are, in commit order: a run of `n` events in memory (`n > 0`) or in the
   * overflow (`n < 0`). Takes follow it, so the channel is FIFO across both stores. Runs alternate,
   * so the array stays short.
   */
  readonly runs: number[] = [];
  /** Events taken from memory by open transactions (they occupy memory until their commit). */
  memoryInFlight = 0;
  memoryBytes = 0;
  readonly overflow: FileChannel;
  readonly memoryCapacity: number;
  readonly maxMemoryBytes: number;
  readonly txCapacity: number;
  /** Serializes overflow commits, so the order of runs matches the order of the file channel. */
  private spilling: Promise<void> = Promise.resolve();

  constructor(config: SpillableMemoryChannelConfig, ctx: ComponentContext) {
    super(ctx);
    this.memoryCapacity = config.memoryCapacity;
    this.maxMemoryBytes = parseSize(config.byteCapacity);
    this.txCapacity = config.transactionCapacity;
    const { memoryCapacity: _m, overflowCapacity, byteCapacity: _b, overflowByteCapacity, ...fileKeys } = config;
    this.overflow = new FileChannel({ ...fileKeys, capacity: Math.max(1, overflowCapacity), byteCapacity: overflowByteCapacity }, {
      ...ctx, name: `${ctx.name}.overflow`, metrics: new MetricGroup('CHANNEL', `${ctx.name}.overflow`, 'file'),
    });
    this.overflowCapacity = overflowCapacity;
    ctx.metrics.gauge('MemoryChannelSize', () => this.memory.length + this.memoryInFlight);
    ctx.metrics.gauge('OverflowChannelSize', () => (this.overflow.running ? this.overflow.size : 0));
    ctx.metrics.inc('SpillCount', 0);
  }

  readonly overflowCapacity: number;

  get size(): number {
    return this.memory.length + this.memoryInFlight + (this.overflow.running ? this.overflow.size : 0);
  }

  get capacity(): number {
    return this.memoryCapacity + this.overflowCapacity;
  }

  /** Memory held or promised to commits whose spill is in flight. */
  private reservedEvents = 0;
  private reservedBytes = 0;

  /** How many of `events`, from the first, fit in memory now. */
  memoryRoom(events: readonly SluiceEvent[]): number {
    let room = Math.max(0, this.memoryCapacity - (this.memory.length + this.memoryInFlight + this.reservedEvents));
    if (room === 0) return 0;
    room = Math.min(room, events.length);
    if (this.maxMemoryBytes === 0) return room;
    let bytes = this.memoryBytes + this.reservedBytes;
    for (let i = 0; i < room; i++) {
      bytes += events[i]!.body.length;
      if (bytes > this.maxMemoryBytes) return i;
    }
    return room;
  }

  /** Adds committed events to memory, at the tail of the order. */
  keep(events: readonly SluiceEvent[], bytes: number): void {
    if (events.length === 0) return;
    this.memory.pushAll(events);
    this.memoryBytes += bytes;
    this.append(events.length);
  }

  protected override async _start(): Promise<void> {
    if (this.overflowCapacity > 0) {
      await this.overflow.start();
      // What a previous run spilled is still there; it comes first.
      if (this.overflow.size > 0) this.runs.push(-this.overflow.size);
    }
    this.ctx.logger.info({ memoryCapacity: this.memoryCapacity, overflowCapacity: this.overflowCapacity, recovered: this.size }, 'spillable memory channel started: events in memory are lost if the process crashes; spilled events are durable');
  }

  protected override async _stop(): Promise<void> {
    const lost = this.memory.length;
    if (lost > 0) this.ctx.logger.warn({ lost }, 'spillable memory channel stopped with undelivered events in memory; they are lost (spilled events stay on disk)');
    this.memory.clear();
    this.runs.length = 0;
    this.memoryBytes = 0;
    await this.spilling;
    await this.overflow.stop();
  }

  protected _transaction(): BaseTransaction {
    return new SpillableTransaction(this);
  }

  /** Records `n` more events at the tail (positive: memory, negative: overflow), merging runs. */
  append(n: number): void {
    const last = this.runs.length - 1;
    if (last >= 0 && Math.sign(this.runs[last]!) === Math.sign(n)) this.runs[last]! += n;
    else this.runs.push(n);
    this.notifyReadable();
  }

  /**
   * Commits a put batch that does not fit in memory: `kept` (its first events) stay in memory and
   * `spilled` (the rest) go to the overflow, one spill at a time, so the order of runs matches
   * the file channel's. Nothing of the batch is visible until the overflow commit succeeded.
   */
  async spill(kept: readonly SluiceEvent[], spilled: readonly SluiceEvent[]): Promise<void> {
    const keptBytes = batchBytes(kept);
    this.reservedEvents += kept.length;
    this.reservedBytes += keptBytes;
    const run = this.spilling.then(async () => {
      if (!this.overflow.running) throw new SluiceError('SLUICE_CHANNEL_FULL', `Channel '${this.name}' is full: memory holds ${this.memoryCapacity} events and it has no overflow (overflowCapacity 0)`);
      const tx = this.overflow.transaction();
      try {
        tx.put(spilled);
        await tx.commit();
      } catch (error) {
        await tx.rollback().catch(() => undefined);
        throw error;
      }
    });
    this.spilling = run.catch(() => undefined);
    try {
      await run;
    } finally {
      this.reservedEvents -= kept.length;
      this.reservedBytes -= keptBytes;
    }
    this.keep(kept, keptBytes);
    this.ctx.metrics.inc('SpillCount', spilled.length);
    this.append(-spilled.length);
  }

  readable(): void {
    this.notifyReadable();
  }
}

/** A span of events one transaction took: from memory (the events) or from the overflow (a count). */
type TakenSpan = { memory: SluiceEvent[] } | { overflow: number };

class SpillableTransaction extends BaseTransaction {
  private puts: SluiceEvent[] = [];
  private spans: TakenSpan[] = [];
  private taken = 0;
  private overflowTx: Transaction | undefined;

  constructor(private readonly channel: SpillableMemoryChannel) {
    super(channel.metrics);
  }

  protected _put(events: readonly SluiceEvent[]): void {
    if (this.puts.length + events.length > this.channel.txCapacity) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `Channel '${this.channel.name}': a transaction of ${this.puts.length + events.length} puts exceeds transactionCapacity ${this.channel.txCapacity}; lower the source's batchSize or raise transactionCapacity`);
    }
    for (const event of events) this.puts.push(event);
  }

  protected async _take(max: number): Promise<SluiceEvent[]> {
    const { channel } = this;
    const out: SluiceEvent[] = [];
    let room = Math.min(max, channel.txCapacity - this.taken);
    if (room <= 0) throw new SluiceError('SLUICE_TX_CAPACITY', `Channel '${channel.name}': a transaction cannot take more than transactionCapacity ${channel.txCapacity} events`);
    while (room > 0 && channel.runs.length > 0) {
      const head = channel.runs[0]!;
      if (head > 0) {
        const events = channel.memory.shiftMany(Math.min(room, head));
        channel.runs[0] = head - events.length;
        channel.memoryInFlight += events.length;
        this.spans.push({ memory: events });
        for (const event of events) out.push(event);
        room -= events.length;
      } else {
        // Reserve the events before reading, so a concurrent take cannot claim the same run.
        const want = Math.min(room, -head);
        channel.runs[0] = head + want;
        if (channel.runs[0] === 0) channel.runs.shift();
        this.overflowTx ??= channel.overflow.transaction();
        const events = await this.overflowTx.take(want);
        if (events.length < want) channel.runs.unshift(events.length - want);
        if (events.length > 0) this.spans.push({ overflow: events.length });
        for (const event of events) out.push(event);
        room -= events.length;
        if (events.length < want) break;
      }
      if (channel.runs[0] === 0) channel.runs.shift();
    }
    this.taken += out.length;
    return out;
  }

  protected async _commit(): Promise<void> {
    const { channel } = this;
    if (this.overflowTx) await this.overflowTx.commit();
    this.overflowTx = undefined;
    for (const span of this.spans) {
      if (!('memory' in span)) continue;
      channel.memoryInFlight -= span.memory.length;
      channel.memoryBytes -= batchBytes(span.memory);
    }
    this.spans = [];
    if (this.puts.length === 0) return;
    const puts = this.puts;
    this.puts = [];
    // Runs keep the order, so a batch may go to memory even while earlier ones wait on disk.
    const room = channel.memoryRoom(puts);
    if (room === puts.length) channel.keep(puts, batchBytes(puts));
    else await channel.spill(puts.slice(0, room), puts.slice(room));
  }

  protected async _rollback(): Promise<void> {
    const { channel } = this;
    this.puts = [];
    if (this.overflowTx) await this.overflowTx.rollback();
    this.overflowTx = undefined;
    if (this.spans.length === 0) return;
    const memory: SluiceEvent[] = [];
    for (const span of this.spans) if ('memory' in span) for (const event of span.memory) memory.push(event);
    channel.memoryInFlight -= memory.length;
    channel.memory.unshiftAll(memory);
    // Back to the head in the order they were taken: the first span ends up first.
    for (let i = this.spans.length - 1; i >= 0; i--) {
      const span = this.spans[i]!;
      const n = 'memory' in span ? span.memory.length : -span.overflow;
      if (channel.runs.length > 0 && Math.sign(channel.runs[0]!) === Math.sign(n)) channel.runs[0]! += n;
      else channel.runs.unshift(n);
    }
    this.spans = [];
    channel.readable();
  }
}
