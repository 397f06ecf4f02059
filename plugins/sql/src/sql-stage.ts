import { createHash } from 'node:crypto';
import {
  createEvent, throwConfigProblems, type SluiceEvent, type Stage, type StageContext, type Status,
} from '@sluice/core';
import { DuckEngine } from './duck-engine.js';
import { RowReader, toEpochMs } from './row-reader.js';
import { createSimdScan } from './simd-scan.js';
import { checkSqlStage, columnsOf, planWindow, type Column, type SqlStageConfig, type WindowPlan } from './sql-stage-config.js';
import { decodeEvents, encodeEvents, EventEncoder, fingerprint, StageLog, type Frame } from './stage-log.js';
import { WindowState, type Admission, type OpenWindow, type WindowStateSnapshot } from './window-state.js';

/** Options beside the config, for tests and embedding. */
export interface SqlStageOptions {
  /** Epoch ms for processing time; default Date.now. */
  clock?: () => number;
  /** Compact the checkpoint once its log exceeds this many bytes (default 64 MiB). */
  compactAfterBytes?: number;
}

/**
 * The last batch of the checkpoint when its take may not have committed: its size and fingerprint,
 * and the events it dropped (bad or late, as indexes into the batch), whose dead-lettering may not
 * have happened yet.
 */
interface UnconfirmedBatch {
  count: number;
  fp: string;
  dropped: Dropped;
}

/** What {@link SqlStage.ingest} did not place: indexes into the batch it read, with the reasons for the bad ones. */
interface Dropped {
  bad: number[];
  late: number[];
  reasons: string[];
}

/** The header a dead-lettered event carries, saying why the stage dropped it. */
export const DROP_REASON_HEADER = 'sluiceStageError';

/**
 * The `sql` stage: continuous SQL over windows of events, on DuckDB. Each taken event is read
 * against the declared schema, placed into its windows and checkpointed (see {@link StageLog})
 * before its take commits; when a window closes, the query runs over its rows and each result row
 * becomes one JSON event with the headers `windowStart`, `windowEnd` (epoch ms) and `windowId`
 * (stage name, bounds and session key: the same window always has the same id). Bad and late
 * events are counted and go to the dead-letter channel; they never stop the query.
 *
 * Created by the agent (through the `sql` component definition) and driven by its StageRunner;
 * the guarantee is the stage rule of docs/spec/stage.md.
 */
export class SqlStage implements Stage {
  readonly name: string;
  private readonly columns: Column[];
  private readonly plan: WindowPlan;
  private readonly reader: RowReader;
  private readonly headerNames: string[];
  private readonly encoder: EventEncoder;
  private readonly clock: () => number;
  private readonly compactAfterBytes: number;
  private state: WindowState;
  private engine: DuckEngine | undefined;
  private log: StageLog | undefined;
  /** Events of the prepared batch that went into windows (until commit or rollback). */
  private prepared: number | undefined;
  /** After recovery: the last checkpointed batch whose take may not have committed. */
  private unconfirmed: UnconfirmedBatch | undefined;
  private starting: Promise<void> | undefined;
  private running = false;
  /** Whether a batch was prepared since the last {@link advance} (else the input is idle). */
  private preparedSinceAdvance = false;

  constructor(private readonly config: SqlStageConfig, private readonly ctx: StageContext, options: SqlStageOptions = {}) {
    throwConfigProblems(checkSqlStage(config), `sql stage '${ctx.name}'`);
    this.name = ctx.name;
    this.columns = columnsOf(config.schema);
    this.plan = planWindow(config).plan!;
    // Bodies are copied into the SIMD memory by the checkpoint's encoding; the reader scans
    // them where they are and passes over long strings in the copy.
    const simd = createSimdScan();
    this.reader = new RowReader(this.columns, simd);
    this.headerNames = [...new Set(this.columns.filter((c) => c.from === 'header').map((c) => c.path[0]!))];
    this.encoder = new EventEncoder(this.headerNames, simd);
    this.clock = options.clock ?? Date.now;
    this.compactAfterBytes = options.compactAfterBytes ?? 64 * 1024 * 1024;
    this.state = new WindowState(this.plan);
  }

  start(): Promise<void> {
    this.starting ??= this.open();
    return this.starting;
  }

  private async open(): Promise<void> {
    this.engine = await DuckEngine.open(this.columns, this.plan, this.config.tables, this.config.threads);
    const { log, recovered } = await StageLog.open(this.ctx.dataDir);
    this.log = log;
    this.state = new WindowState(this.plan);
    if (recovered.meta) this.state.restore((recovered.meta as { state: WindowStateSnapshot }).state);
    if (recovered.rowsFile) await this.engine.importRows(recovered.rowsFile);
    const emitted = this.replay(recovered.frames);
    await this.engine.discard(emitted, this.state.earliestStart());
    this.running = true;
    this.ctx.logger.info({ windows: this.state.snapshot().windows.length, unconfirmedBatch: this.unconfirmed?.count ?? 0 }, 'sql stage started');
  }

  /** Rebuilds the windows from the log; returns the windows it found emitted. */
  private replay(frames: readonly Frame[]): OpenWindow[] {
    let pending: { events: SluiceEvent[]; now: number; skip: number } | undefined;
    let pendingFp: { count: number; fp: string } | undefined;
    let dropped: Dropped = { bad: [], late: [], reasons: [] };
    const emitted: OpenWindow[] = [];
    const settle = (): void => {
      if (pending) {
        const { bad, late, reasons } = this.ingest(pending.events, pending.now);
        // As indexes into the whole take, which is what the channel delivers again.
        dropped = { bad: bad.map((i) => i + pending!.skip), late: late.map((i) => i + pending!.skip), reasons };
      }
      pending = undefined;
    };
    for (const frame of frames) {
      if (frame.type === 'B') {
        settle();
        const metaLength = frame.payload.readUInt32BE(0);
        const meta = JSON.parse(frame.payload.subarray(4, 4 + metaLength).toString('utf8')) as { now: number; skip: number };
        const encoded = frame.payload.subarray(4 + metaLength);
        pending = { events: decodeEvents(encoded, this.headerNames).slice(meta.skip), now: meta.now, skip: meta.skip };
        pendingFp = { count: encoded.readUInt32BE(0), fp: fingerprint(encoded) };
      } else if (frame.type === 'C') {
        settle();
        pendingFp = undefined;
      } else if (frame.type === 'R') {
        pending = undefined;
        pendingFp = undefined;
      } else {
        settle();
        const window = JSON.parse(frame.payload.toString('utf8')) as OpenWindow;
        this.state.remove(window);
        emitted.push(window);
      }
    }
    if (pending) {
      // The take of the last batch may or may not have committed: count the batch now, and skip
      // it if the channel delivers exactly these events again.
      settle();
      this.unconfirmed = { ...pendingFp!, dropped };
    }
    return emitted;
  }

  /**
   * Reads events against the schema and places each into its windows and DuckDB, in order (the
   * watermark moves per event, so the same events in the same order always land the same way).
   * Returns how many it placed, and the bad and late ones (indexes into `events`) with the
   * reasons, for counting and dead-lettering. `bodyAt[first + i]`: where the body of `events[i]`
   * was copied in the SIMD memory (the encoder's), or -1.
   */
  private ingest(events: readonly SluiceEvent[], now: number, bodyAt?: Int32Array, first = 0): Dropped & { accepted: number } {
    const bad: number[] = [];
    const late: number[] = [];
    const reasons: string[] = [];
    const { plan, reader, state, engine } = this;
    const values = new Array<unknown>(this.columns.length);
    // On processing time a tumbling or hopping admission depends on the take time only, the same
    // for the whole batch (the watermark moves with the clock, not per event): admit once.
    const oncePerBatch = plan.time === 'processing' && plan.type !== 'session';
    let batchAdmission: Admission | undefined;
    let accepted = 0;
    for (let i = 0; i < events.length; i++) {
      const reason = reader.readInto(events[i]!, values, bodyAt ? bodyAt[first + i]! : -1);
      if (reason !== undefined) {
        bad.push(i);
        reasons.push(reason);
        continue;
      }
      let t = now;
      if (plan.time === 'event') {
        const ms = toEpochMs(values[plan.timeColumn]);
        if (ms === undefined) {
          bad.push(i);
          reasons.push(`no event time in column '${this.columns[plan.timeColumn]!.name}'`);
          continue;
        }
        t = ms;
      }
      const key = plan.keyColumn < 0 ? '' : JSON.stringify(values[plan.keyColumn] ?? null);
      const admission = oncePerBatch ? (batchAdmission ??= state.admit(t, key)) : state.admit(t, key);
      if (admission.late) {
        late.push(i);
        continue;
      }
      engine!.append(values, t, admission.watermark, key);
      accepted++;
    }
    return { accepted, bad, late, reasons };
  }

  /**
   * Forgets everything in memory and rebuilds it from the checkpoint: after a rolled-back take
   * (whose batch was already placed in its windows) or a prepare that failed half-way. Rare, so
   * the common path never has to stage rows twice.
   */
  private async rebuild(): Promise<void> {
    await this.log?.close();
    this.engine?.close();
    this.unconfirmed = undefined;
    await this.open();
  }

  async prepare(events: readonly SluiceEvent[]): Promise<void> {
    if (!this.running) throw new TypeError(`sql stage '${this.name}' is not running`);
    const { metrics } = this.ctx;
    let skip = 0;
    if (this.unconfirmed) {
      const { count, fp, dropped } = this.unconfirmed;
      if (events.length >= count && fingerprint(encodeEvents(events.slice(0, count), this.headerNames)) === fp) {
        // Counted before the restart. Its dead letters were put after its checkpoint was
        // written, so they may be missing: put them again (at least once, like every put).
        await this.deadLetter(events, dropped);
        skip = count;
        metrics.inc('EventDuplicateCount', count);
        this.ctx.logger.info({ events: count }, 'the input delivered the last checkpointed batch again; it was counted before the restart, so it is skipped');
      }
      this.unconfirmed = undefined;
    }
    const now = this.clock();
    const meta = Buffer.from(JSON.stringify({ now, skip }));
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(meta.length, 0);
    // The checkpoint is written (and fsynced, on the thread pool) while the events are placed
    // into their windows, all at once; if anything below fails (or the take rolls back), the
    // state is rebuilt from the checkpoint, which has this batch only if it was written whole.
    const written = this.log!.append('B', [length, meta, this.encoder.encode(events)], true);
    let accepted: number;
    try {
      const read = this.ingest(skip > 0 ? events.slice(skip) : events, now, this.encoder.bodyAt, skip);
      accepted = read.accepted;
      await written;
      await this.deadLetter(skip > 0 ? events.slice(skip) : events, read);
    } catch (error) {
      await written.catch(() => undefined);
      await this.rebuild();
      throw error;
    }
    this.prepared = accepted;
    this.preparedSinceAdvance = true;
  }

  /** Counts the dropped events of `events` and puts them into the dead-letter channel, if any. */
  private async deadLetter(events: readonly SluiceEvent[], dropped: Dropped): Promise<void> {
    const { bad, late, reasons } = dropped;
    if (bad.length === 0 && late.length === 0) return;
    const { metrics, logger } = this.ctx;
    metrics.inc('EventBadCount', bad.length);
    metrics.inc('EventLateCount', late.length);
    if (bad.length > 0) logger.debug({ count: bad.length, first: reasons[0] }, 'bad records: they do not match the schema');
    const target = this.ctx.deadLetter;
    if (!target) return;
    const tagged = [
      ...bad.map((b, i) => ({ headers: { ...events[b]!.headers, [DROP_REASON_HEADER]: reasons[i]! }, body: events[b]!.body })),
      ...late.map((l) => ({ headers: { ...events[l]!.headers, [DROP_REASON_HEADER]: 'late: its windows had closed' }, body: events[l]!.body })),
    ];
    const tx = target.channel.transaction();
    try {
      tx.put(tagged);
      await tx.commit();
    } catch (error) {
      await tx.rollback().catch(() => undefined);
      throw error;
    }
    metrics.inc('EventDeadLetterCount', tagged.length);
  }

  async commit(): Promise<void> {
    const accepted = this.prepared;
    if (accepted === undefined) throw new TypeError(`sql stage '${this.name}': commit() without a prepared batch`);
    this.prepared = undefined;
    // The take is committed; the marker saying so goes out with the next record (a lost one only
    // makes the next start check the batch's fingerprint against what the input delivers).
    this.log!.defer('C');
    this.ctx.metrics.inc('EventAcceptedCount', accepted);
  }

  async rollback(): Promise<void> {
    if (this.prepared === undefined) return;
    this.prepared = undefined;
    await this.log!.append('R', Buffer.alloc(0), false);
    await this.rebuild();
  }

  async advance(now: number): Promise<Status> {
    if (!this.running) return 'backoff';
    // Idle since the last call (the input had nothing): write the deferred commit marker, so a
    // quiet stage does not leave its last batch to the fingerprint check after a crash.
    if (!this.preparedSinceAdvance) await this.log!.writeDeferred();
    this.preparedSinceAdvance = false;
    this.state.advanceTo(now);
    const closing = this.state.closeable(now);
    if (closing.length === 0) return 'backoff';
    const { metrics } = this.ctx;
    await this.engine!.refreshTables();
    const emitted: OpenWindow[] = [];
    try {
      for (const window of closing) {
        let rows: Record<string, unknown>[];
        try {
          rows = await this.engine!.evaluate(window, this.config.query);
        } catch (error) {
          // The query failed on this window's data (a cast, a division by zero): retrying cannot
          // help, and waiting would hold back every later window. Skip it, loudly.
          metrics.inc('WindowFailCount');
          this.ctx.logger.error({ err: error, windowId: this.windowId(window) }, 'the query failed on a window; its results are skipped');
          this.ctx.telemetry.emit('component.error', this.name, 0, 0, error);
          await this.log!.append('E', Buffer.from(JSON.stringify(window)), false);
          this.state.remove(window);
          emitted.push(window);
          continue;
        }
        const headers = { windowStart: String(window.start), windowEnd: String(window.end), windowId: this.windowId(window) };
        const events = rows.map((row) => createEvent(JSON.stringify(row), { ...headers }));
        try {
          await this.ctx.emit(events);
        } catch (error) {
          metrics.inc('EmitFailCount');
          throw error;
        }
        await this.log!.append('E', Buffer.from(JSON.stringify(window)), false);
        this.state.remove(window);
        emitted.push(window);
        metrics.inc('ResultEmittedCount', events.length);
        metrics.inc('WindowEmittedCount');
      }
    } finally {
      if (emitted.length > 0) await this.engine!.discard(emitted, this.state.earliestStart());
    }
    if (this.log!.size > this.compactAfterBytes) await this.compact();
    return 'ready';
  }

  /**
   * Closes and emits every open window now, whatever the watermark or clock says (`sluice sql run`
   * at the end of its sample; not used by the agent, which never closes windows early).
   */
  async closeAll(): Promise<void> {
    this.state.watermark = Infinity;
    await this.advance(Infinity);
  }

  /** The stable id of a window: the same stage, bounds and key always give the same id. */
  windowId(window: OpenWindow): string {
    const base = `${this.name}:${window.start}:${window.end}`;
    return window.key === '' ? base : `${base}:${createHash('sha1').update(window.key).digest('hex').slice(0, 12)}`;
  }

  private async compact(): Promise<void> {
    await this.log!.compact({ state: this.state.snapshot() }, (file) => this.engine!.exportRows(file));
    this.ctx.logger.debug('checkpoint compacted');
  }

  async stop(): Promise<void> {
    if (!this.starting) return;
    await this.starting.catch(() => undefined);
    this.running = false;
    this.starting = undefined;
    if (this.prepared !== undefined) {
      // Stopped between prepare and commit: leave the batch's outcome open, as after a crash; the
      // next start counts it and skips it if the channel delivers it again.
      this.prepared = undefined;
    }
    await this.log?.close();
    this.log = undefined;
    this.engine?.close();
    this.engine = undefined;
  }
}
