import { BaseTransaction, SluiceError, batchBytes, type SluiceEvent } from '@sluice/core';
import type { FileChannel } from './file-channel.js';
import type { Segment } from './stored-batch.js';

/**
 * A transaction of the {@link FileChannel}. Puts are staged in memory and written as one batch on
 * commit; takes reserve segments of stored batches in memory, and their commit records the
 * consumption durably. Rollback (or a crash) returns the reserved events to the head, in order.
 */
export class FileTransaction extends BaseTransaction {
  private puts: SluiceEvent[] = [];
  private takes: Segment[] = [];
  private taken = 0;

  private readonly generation: number;

  constructor(private readonly channel: FileChannel) {
    super(channel.metrics);
    this.generation = channel.generation;
  }

  /** Throws when the channel stopped since this transaction was opened. */
  private checkCurrent(): void {
    if (this.channel.generation !== this.generation) {
      throw new SluiceError('SLUICE_CHANNEL_CLOSED', `file channel '${this.channel.name}' stopped after this transaction was opened; open a new one (its taken events are delivered again)`);
    }
  }

  protected _put(events: readonly SluiceEvent[]): void {
    if (this.puts.length + events.length > this.channel.txCapacity) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `file channel '${this.channel.name}': a transaction of ${this.puts.length + events.length} puts exceeds transactionCapacity ${this.channel.txCapacity}; lower the source's batchSize or raise transactionCapacity`);
    }
    if (this.puts.length === 0) this.puts = events.slice();
    else for (let i = 0; i < events.length; i++) this.puts.push(events[i]!);
  }

  protected async _take(max: number): Promise<SluiceEvent[]> {
    this.checkCurrent();
    const room = this.channel.txCapacity - this.taken;
    if (room <= 0) {
      throw new SluiceError('SLUICE_TX_CAPACITY', `file channel '${this.channel.name}': a transaction cannot take more than transactionCapacity ${this.channel.txCapacity} events`);
    }
    const want = Math.min(max, room);
    const out: SluiceEvent[] = [];
    const reserved: Segment[] = [];
    while (out.length < want) {
      const segment = this.channel.shiftSegment(want - out.length);
      if (!segment) break;
      let events: SluiceEvent[] | undefined;
      try {
        events = await this.channel.eventsOf(segment.batch);
      } catch (error) {
        // The caller gets nothing from this call, so nothing of it may stay reserved.
        reserved.push(segment);
        this.channel.returnSegments(reserved);
        throw error;
      }
      if (!events) {
        this.channel.dropSegment(segment);
        continue;
      }
      for (let i = segment.from; i < segment.to; i++) out.push(events[i]!);
      reserved.push(segment);
    }
    for (const segment of reserved) {
      this.takes.push(segment);
      this.taken += segment.to - segment.from;
    }
    return out;
  }

  protected async _commit(): Promise<void> {
    const puts = this.puts;
    const takes = this.takes;
    if (puts.length === 0 && takes.length === 0) return;
    this.checkCurrent();
    await this.channel.commit(puts, puts.length > 0 ? batchBytes(puts) : 0, takes);
    this.puts = [];
    this.takes = [];
    this.taken = 0;
  }

  protected _rollback(): void {
    this.puts = [];
    const takes = this.takes;
    this.takes = [];
    this.taken = 0;
    // After a stop the store still holds these events as unconsumed; the old index is gone.
    if (this.channel.generation === this.generation) this.channel.returnSegments(takes);
  }
}
