import type { WindowPlan } from './sql-stage-config.js';

/** A window waiting to be emitted: tumbling/hopping `[start, end)`, or one session of one key. */
export interface OpenWindow {
  start: number;
  end: number;
  /** The session key as stored in the `_k` column (JSON of the key value), '' without a key. */
  key: string;
  /** Sessions only: the time of the session's newest event (end = last + gap). */
  last?: number;
}

/** Where an admitted event goes; `late` when every window it belongs to has closed. */
export type Admission = { late: true } | { late: false; watermark: number };

/** What the state looks like on disk (the checkpoint's snapshot record). */
export interface WindowStateSnapshot {
  watermark: number | null;
  windows: OpenWindow[];
}

/**
 * The windows of one stage and its watermark, without the rows (those live in DuckDB). Pure and
 * deterministic: admitting the same events in the same order gives the same windows, which is
 * what makes a replayed checkpoint equal to the state before a crash.
 *
 * Event time: the watermark is the newest event time seen minus the allowed lateness, updated per
 * event; a window closes when the watermark reaches its end. A tumbling or hopping event is late
 * when every window containing it has closed (a hopping event goes only into its still-open
 * windows); a session event is late when its time is behind the watermark. Processing time: the
 * event time is the take time, and the watermark is the clock given to {@link closeable}.
 */
export class WindowState {
  watermark = -Infinity;
  /** Tumbling/hopping windows by start. */
  private readonly windows = new Map<number, OpenWindow>();
  /** Open sessions per key, unordered. */
  private readonly sessions = new Map<string, OpenWindow[]>();

  constructor(private readonly plan: WindowPlan) {}

  /** Admits one event at time `t` (epoch ms) with session key `key`; updates windows and watermark. */
  admit(t: number, key: string): Admission {
    const watermark = this.watermark;
    const { plan } = this;
    if (plan.type === 'session') {
      if (t < watermark) return { late: true };
      this.joinSession(t, key);
    } else {
      const step = plan.type === 'tumbling' ? plan.sizeMs : plan.hopMs;
      let admitted = false;
      for (let start = Math.floor(t / step) * step; start > t - plan.sizeMs; start -= step) {
        const end = start + plan.sizeMs;
        if (end <= watermark) break;
        admitted = true;
        if (!this.windows.has(start)) this.windows.set(start, { start, end, key: '' });
      }
      if (!admitted) return { late: true };
    }
    if (plan.time === 'event' && t - plan.latenessMs > this.watermark) this.watermark = t - plan.latenessMs;
    return { late: false, watermark };
  }

  private joinSession(t: number, key: string): void {
    const gap = this.plan.gapMs;
    const list = this.sessions.get(key) ?? [];
    let merged: OpenWindow = { start: t, end: t + gap, key, last: t };
    const rest: OpenWindow[] = [];
    for (const s of list) {
      if (t > s.start - gap && t < s.last! + gap) {
        const start = Math.min(merged.start, s.start);
        const last = Math.max(merged.last!, s.last!);
        merged = { start, end: last + gap, key, last };
      } else {
        rest.push(s);
      }
    }
    rest.push(merged);
    this.sessions.set(key, rest);
  }

  /** Windows that have closed at `now` (processing time) or at the watermark (event time), oldest end first. */
  closeable(now: number): OpenWindow[] {
    const limit = this.plan.time === 'processing' ? Math.max(now, this.watermark) : this.watermark;
    const out: OpenWindow[] = [];
    for (const w of this.windows.values()) if (w.end <= limit) out.push(w);
    for (const list of this.sessions.values()) for (const s of list) if (s.end <= limit) out.push(s);
    return out.sort((a, b) => a.end - b.end || a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Forgets an emitted window. */
  remove(window: OpenWindow): void {
    if (this.plan.type !== 'session') {
      this.windows.delete(window.start);
      return;
    }
    const list = this.sessions.get(window.key);
    if (!list) return;
    const rest = list.filter((s) => s.start !== window.start);
    if (rest.length > 0) this.sessions.set(window.key, rest);
    else this.sessions.delete(window.key);
  }

  /** The earliest start of an open window (rows before it are no longer needed), or undefined. */
  earliestStart(): number | undefined {
    let min: number | undefined;
    for (const w of this.windows.values()) if (min === undefined || w.start < min) min = w.start;
    return min;
  }

  /** True when no window is open. */
  get empty(): boolean {
    return this.windows.size === 0 && this.sessions.size === 0;
  }

  /** For processing time: advances the watermark to the clock, so late rules hold after a restart. */
  advanceTo(now: number): void {
    if (this.plan.time === 'processing' && now > this.watermark) this.watermark = now;
  }

  snapshot(): WindowStateSnapshot {
    const windows = [...this.windows.values()];
    for (const list of this.sessions.values()) windows.push(...list);
    return { watermark: Number.isFinite(this.watermark) ? this.watermark : null, windows: windows.map((w) => ({ ...w })) };
  }

  restore(snapshot: WindowStateSnapshot): void {
    this.watermark = snapshot.watermark ?? -Infinity;
    this.windows.clear();
    this.sessions.clear();
    for (const w of snapshot.windows) {
      if (this.plan.type === 'session') this.sessions.set(w.key, [...(this.sessions.get(w.key) ?? []), { ...w }]);
      else this.windows.set(w.start, { ...w });
    }
  }
}
