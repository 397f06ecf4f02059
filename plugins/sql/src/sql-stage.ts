import { createHash } from 'node:crypto';
import {
  createEvent, parseDuration, throwConfigProblems, type SluiceEvent, type Stage, type StageContext, type Status,
} from '@sluice/core';
import { DuckEngine } from './duck-engine.js';
import { RowReader, toEpochMs } from './row-reader.js';
import { checkSqlStage, columnsOf, planWindow, type Column, type SqlStageConfig, type WindowPlan } from './sql-stage-config.js';
import { decodeEvents, encodeEvents, fingerprint, StageLog, type Frame } from './stage-log.js';
import { WindowState, type OpenWindow, type WindowStateSnapshot } from './window-state.js';

/** Options beside the config, for tests and embedding. */
export interface SqlStageOptions {
  /** Epoch ms for processing time; default Date.now. */
  clock?: () => number;
  /** Compact the checkpoint once its log exceeds this many bytes (default 64 MiB). */
  compactAfterBytes?: number;
}

/** A row ready to join the windows once its take commits. */
interface PendingRow { values: unknown[]; t: number; key: string }

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
  private readonly clock: () => number;
  private readonly compactAfterBytes: number;
  private state: WindowState;
  private engine: DuckEngine | undefined;
  private log: StageLog | undefined;
  private prepared: PendingRow[] | undefined;
  /** After recovery: the last checkpointed batch whose take may not have committed. */
  private unconfirmed: { count: number; fp: string } | undefined;
  private starting: Promise<void> | undefined;
  private running = false;

  constructor(private readonly config: SqlStageConfig, private readonly ctx: StageContext, options: SqlStageOptions = {}) {
    throwConfigProblems(checkSqlStage(config), `sql stage '${ctx.name}'`);
    this.name = ctx.name;
    this.columns = columnsOf(config.schema);
    this.plan = planWindow(config).plan!;
    this.reader = new RowReader(this.columns);
    this.headerNames = [...new Set(this.columns.filter((c) => c.from === 'header').map((c) => c.path[0]!))];
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
    let pending: PendingRow[] | undefined;
    let pendingFp: { count: number; fp: string } | undefined;
    const emitted: OpenWindow[] = [];
    const settle = (): void => {
      if (pending) this.apply(pending);
      pending = undefined;
    };
    for (const frame of frames) {
      if (frame.type === 'B') {
        settle();
        const metaLength = frame.payload.readUInt32BE(0);
        const meta = JSON.parse(frame.payload.subarray(4, 4 + metaLength).toString('utf8')) as { now: number; skip: number };
        const encoded = frame.payload.subarray(4 + metaLength);
        const events = decodeEvents(encoded, this.headerNames);
        pending = this.classify(events.slice(meta.skip), meta.now, this.state.watermark).rows;
        pendingFp = { count: events.length, fp: fingerprint(encoded) };
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
      this.unconfirmed = pendingFp;
    }
    return emitted;
  }

  /** Reads events into rows with their times; splits off bad and late ones (simulating the watermark). */
  private classify(events: readonly SluiceEvent[], now: number, watermark: number): { rows: PendingRow[]; bad: SluiceEvent[]; late: SluiceEvent[]; reasons: string[] } {
    const rows: PendingRow[] = [];
    const bad: SluiceEvent[] = [];
    const late: SluiceEvent[] = [];
    const reasons: string[] = [];
    const { plan } = this;
    let w = watermark;
    for (const event of events) {
      const read = this.reader.read(event);
      if ('bad' in read) {
        bad.push(event);
        reasons.push(read.bad);
        continue;
      }
      let t = now;
      if (plan.time === 'event') {
        const ms = toEpochMs(read.values[plan.timeColumn]);
        if (ms === undefined) {
          bad.push(event);
          reasons.push(`no event time in column '${this.columns[plan.timeColumn]!.name}'`);
          continue;
        }
        t = ms;
      }
      if (isLate(plan, t, w)) {
        late.push(event);
        continue;
      }
      if (plan.time === 'event' && t - plan.latenessMs > w) w = t - plan.latenessMs;
      const key = plan.keyColumn < 0 ? '' : JSON.stringify(read.values[plan.keyColumn] ?? null);
      rows.push({ values: read.values, t, key });
    }
    return { rows, bad, late, reasons };
  }

  /** Places committed rows into their windows and DuckDB. */
  private apply(rows: readonly PendingRow[]): void {
    for (const row of rows) {
      const admission = this.state.admit(row.t, row.key);
      if (admission.late) continue;
      this.engine!.append(row.values, row.t, admission.watermark, row.key);
    }
  }

  async prepare(events: readonly SluiceEvent[]): Promise<void> {
    if (!this.running) throw new TypeError(`sql stage '${this.name}' is not running`);
    const { metrics } = this.ctx;
    let skip = 0;
    if (this.unconfirmed) {
      const { count, fp } = this.unconfirmed;
      this.unconfirmed = undefined;
      if (events.length >= count && fingerprint(encodeEvents(events.slice(0, count), this.headerNames)) === fp) {
        skip = count;
        metrics.inc('EventDuplicateCount', count);
        this.ctx.logger.info({ events: count }, 'the input delivered the last checkpointed batch again; it was counted before the restart, so it is skipped');
      }
    }
    const now = this.clock();
    const { rows, bad, late, reasons } = this.classify(skip > 0 ? events.slice(skip) : events, now, this.state.watermark);
    if (bad.length > 0 || late.length > 0) await this.deadLetter(bad, late, reasons);
    const meta = Buffer.from(JSON.stringify({ now, skip }));
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(meta.length, 0);
    await this.log!.append('B', [length, meta, ...encodeEvents(events, this.headerNames)], true);
    this.prepared = rows;
  }

  private async deadLetter(bad: SluiceEvent[], late: SluiceEvent[], reasons: string[]): Promise<void> {
    const { metrics, logger } = this.ctx;
    metrics.inc('EventBadCount', bad.length);
    metrics.inc('EventLateCount', late.length);
    if (bad.length > 0) logger.debug({ count: bad.length, first: reasons[0] }, 'bad records: they do not match the schema');
    const target = this.ctx.deadLetter;
    if (!target) return;
    const tagged = [
      ...bad.map((e, i) => ({ headers: { ...e.headers, [DROP_REASON_HEADER]: reasons[i]! }, body: e.body })),
      ...late.map((e) => ({ headers: { ...e.headers, [DROP_REASON_HEADER]: 'late: its windows had closed' }, body: e.body })),
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
    const rows = this.prepared;
    if (!rows) throw new TypeError(`sql stage '${this.name}': commit() without a prepared batch`);
    this.prepared = undefined;
    await this.log!.append('C', Buffer.alloc(0), false);
    this.apply(rows);
    this.ctx.metrics.inc('EventAcceptedCount', rows.length);
  }

  async rollback(): Promise<void> {
    if (!this.prepared) return;
    this.prepared = undefined;
    await this.log!.append('R', Buffer.alloc(0), false);
  }

  async advance(now: number): Promise<Status> {
    if (!this.running) return 'backoff';
    this.state.advanceTo(now);
    const closing = this.state.closeable(now);
    if (closing.length === 0) return 'backoff';
    const { metrics } = this.ctx;
    await this.engine!.refreshTables();
    const emitted: OpenWindow[] = [];
    try {
      for (const window of closing) {
        const rows = await this.engine!.evaluate(window, this.config.query);
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
    if (this.prepared) {
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

/** True when every window an event at `t` belongs to has closed at watermark `w` (see WindowState). */
export function isLate(plan: WindowPlan, t: number, w: number): boolean {
  if (plan.type === 'session') return t < w;
  const step = plan.type === 'tumbling' ? plan.sizeMs : plan.hopMs;
  return Math.floor(t / step) * step + plan.sizeMs <= w;
}

/** The runner's idle tick of a config, in ms. */
export const tickMs = (config: SqlStageConfig): number => parseDuration(config.tick);
