import type { Channel, Transaction } from './channel.js';
import type { ComponentContext } from './context.js';
import { SluiceError, TransactionStateError } from './errors.js';
import type { SluiceEvent } from './event.js';
import type { MetricGroup } from './metrics.js';
import { TRANSACTION_TRANSITIONS, type TransactionCall, type TransactionState } from './transaction-states.js';

type ChannelState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Base of every channel. It owns the lifecycle (idempotent start/stop), refuses transactions
 * unless running (SLUICE_CHANNEL_CLOSED), keeps Flume's channel counters and gauges, and wakes
 * sinks waiting for data. Implementers override `_transaction`, `size` and `capacity`, and may
 * override `_start`/`_stop`.
 */
export abstract class BaseChannel implements Channel {
  readonly name: string;
  protected readonly ctx: ComponentContext;
  private state: ChannelState = 'new';
  private readonly readableListeners = new Set<() => void>();

  constructor(ctx: ComponentContext) {
    this.name = ctx.name;
    this.ctx = ctx;
    ctx.metrics.gauge('ChannelSize', () => this.size);
    ctx.metrics.gauge('ChannelCapacity', () => this.capacity);
    ctx.metrics.gauge('ChannelFillPercentage', () => (this.capacity > 0 ? (this.size / this.capacity) * 100 : 0));
  }

  /** Events committed and not yet taken-and-committed (taken-but-uncommitted ones count). */
  abstract get size(): number;
  /** Maximum events, or 0 when the channel has no event limit. */
  abstract get capacity(): number;
  protected abstract _transaction(): BaseTransaction;
  protected async _start(): Promise<void> {}
  protected async _stop(): Promise<void> {}

  get metrics(): MetricGroup {
    return this.ctx.metrics;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  async start(): Promise<void> {
    if (this.state === 'running' || this.state === 'starting') return;
    this.state = 'starting';
    try {
      await this._start();
    } catch (error) {
      this.state = 'stopped';
      throw error;
    }
    this.state = 'running';
    this.ctx.metrics.startTime = Date.now();
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    try {
      await this._stop();
    } finally {
      this.state = 'stopped';
      this.ctx.metrics.stopTime = Date.now();
      this.notifyReadable();
    }
  }

  transaction(): Transaction {
    if (this.state !== 'running') {
      throw new SluiceError('SLUICE_CHANNEL_CLOSED', `Channel '${this.name}' is ${this.state}, not running; no transaction can be opened`);
    }
    return this._transaction();
  }

  onReadable(listener: () => void): () => void {
    this.readableListeners.add(listener);
    return () => this.readableListeners.delete(listener);
  }

  /** Implementations call this after committing puts (or returning events on rollback). */
  protected notifyReadable(): void {
    if (this.readableListeners.size === 0) return;
    for (const listener of [...this.readableListeners]) listener();
  }
}

/**
 * Base of every transaction. It checks each call against {@link TRANSACTION_TRANSITIONS}, rejects
 * overlapping async calls, and counts Flume's put/take counters; implementers write only
 * `_put`, `_take`, `_commit` and `_rollback`.
 */
export abstract class BaseTransaction implements Transaction {
  private txState: TransactionState = 'open';
  private busy = false;
  protected putCount = 0;
  protected takeCount = 0;

  constructor(protected readonly metrics: MetricGroup) {}

  /** Stage events (must copy the array if it keeps it). */
  protected abstract _put(events: readonly SluiceEvent[]): void;
  protected abstract _take(max: number): Promise<SluiceEvent[]> | SluiceEvent[];
  protected abstract _commit(): Promise<void> | void;
  protected abstract _rollback(): Promise<void> | void;

  get state(): TransactionState {
    return this.txState;
  }

  put(events: readonly SluiceEvent[]): void {
    this.check('put');
    this.metrics.counters.EventPutAttemptCount! += events.length;
    try {
      this._put(events);
    } catch (error) {
      this.metrics.inc('EventPutErrorCount', events.length);
      throw error;
    }
    this.putCount += events.length;
  }

  async take(max: number): Promise<SluiceEvent[]> {
    this.check('take');
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`take(max) needs a positive integer, got ${max}`);
    this.busy = true;
    try {
      const events = await this._take(max);
      this.takeCount += events.length;
      this.metrics.counters.EventTakeAttemptCount! += events.length;
      return events;
    } catch (error) {
      this.metrics.inc('EventTakeErrorCount');
      throw error;
    } finally {
      this.busy = false;
    }
  }

  async commit(): Promise<void> {
    this.txState = this.check('commit');
    this.busy = true;
    try {
      await this._commit();
      this.txState = 'committed';
      this.metrics.counters.EventPutSuccessCount! += this.putCount;
      this.metrics.counters.EventTakeSuccessCount! += this.takeCount;
    } catch (error) {
      this.txState = 'failed';
      throw error;
    } finally {
      this.busy = false;
    }
  }

  async rollback(): Promise<void> {
    this.txState = this.check('rollback');
    this.busy = true;
    try {
      await this._rollback();
    } finally {
      this.txState = 'rolledBack';
      this.busy = false;
    }
  }

  private check(call: TransactionCall): TransactionState {
    if (this.busy) throw new TransactionStateError(`Cannot ${call}() while another call on this transaction is pending`);
    const next = TRANSACTION_TRANSITIONS[this.txState][call];
    if (next === undefined) throw new TransactionStateError(`Cannot ${call}() in state '${this.txState}'`);
    return next;
  }
}


