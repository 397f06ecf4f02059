import type { SluiceEvent } from '@sluice/core';

/** Where in the pipeline a tap samples: what a source emits, what its interceptor chain lets through, what a sink takes. */
export type TapPointKind = 'source' | 'interceptors' | 'sink';

/**
 * Receives the batches published at the tap points it is attached to. Called synchronously on the
 * pipeline's hot path, so it must copy (serialize) what it keeps at once and never throw or block:
 * interceptors may mutate the events right after `offer` returns.
 */
export interface TapListener {
  offer(point: TapPoint, events: readonly SluiceEvent[]): void;
}

/**
 * One place where events can be sampled: a source's output, a source's interceptor-chain output, or
 * a sink's input. The agent's hooks call `publish` only when `watched` is true, so a point nobody
 * taps costs one boolean check per batch (per transaction for sinks).
 */
export class TapPoint {
  /** True while at least one listener is attached; hooks test it before calling `publish`. */
  watched = false;
  private readonly listeners = new Set<TapListener>();

  constructor(readonly component: string, readonly kind: TapPointKind) {}

  /** Called by the agent's hooks with a batch passing this point. */
  publish(events: readonly SluiceEvent[]): void {
    for (const listener of this.listeners) listener.offer(this, events);
  }

  attach(listener: TapListener): void {
    this.listeners.add(listener);
    this.watched = true;
  }

  detach(listener: TapListener): void {
    this.listeners.delete(listener);
    this.watched = this.listeners.size > 0;
  }
}

/**
 * The agent's tap points, by component and kind. Points are created on first use and kept for the
 * agent's lifetime, so a component restarted by a reload publishes to the same point and an
 * attached `sluice tap` keeps seeing its events.
 */
export class TapHub {
  private readonly points = new Map<string, TapPoint>();

  /** The point of `component` (a source or sink name) of this kind; the same object on every call. */
  point(kind: TapPointKind, component: string): TapPoint {
    const key = `${kind}\u0000${component}`;
    let point = this.points.get(key);
    if (!point) {
      point = new TapPoint(component, kind);
      this.points.set(key, point);
    }
    return point;
  }
}
