import { MetricGroup, type MetricKind } from '@sluice/core';

/** One component's counters and gauges as a worker reports them to the primary. */
export interface MetricSnapshot {
  readonly kind: MetricKind;
  readonly name: string;
  readonly type: string;
  /** Counters (they only grow). */
  readonly counters: Readonly<Record<string, number>>;
  /** Gauges, StartTime and StopTime included. */
  readonly gauges: Readonly<Record<string, number>>;
}

/** What a worker answers to a `metrics` request: its components' metrics and its health. */
export interface WorkerReport {
  readonly groups: readonly MetricSnapshot[];
  readonly healthy: boolean;
  readonly status: { readonly state: string; readonly reason?: string; readonly components?: Readonly<Record<string, string>> };
}

/**
 * Messages over the cluster IPC channel between `sluice agent`'s primary and its workers; every
 * message has a `sluice` field naming it, so other IPC traffic is ignored.
 * - worker -> primary `started`: the worker's agent started (sent once per worker process).
 * - primary -> worker `metrics` with `id`; worker -> primary `metrics` with the same `id` and a report.
 * - primary -> worker `stop`: drain and exit (like SIGTERM, but never counted as a second signal).
 * - TCP connection balancing (see `ConnectionBalancer` and `WorkerConnectionBroker`):
 *   worker -> primary `listen` (`listener` is the worker's own number for one server), answered by
 *   primary -> worker `listening` with the bound port or the listen error; primary -> worker
 *   `connection`, sent with the accepted socket's handle; worker -> primary `connection-closed`
 *   when that connection closed (or could not be taken); worker -> primary `unlisten` when the
 *   worker's server stopped listening.
 */
export type WorkerMessage =
  | { sluice: 'started'; index: number }
  | { sluice: 'metrics'; id: number; report?: WorkerReport }
  | { sluice: 'stop' }
  | { sluice: 'listen'; listener: number; port: number; host: string }
  | { sluice: 'listening'; listener: number; port: number }
  | { sluice: 'listening'; listener: number; error: { message: string; code?: string } }
  | { sluice: 'unlisten'; listener: number }
  | { sluice: 'connection'; listener: number }
  | { sluice: 'connection-closed'; listener: number };

/** True for a message of this protocol. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { sluice?: unknown }).sluice === 'string';
}

/** Takes a snapshot of a live metric group for the primary. */
export function snapshotGroup(group: MetricGroup): MetricSnapshot {
  const all = group.snapshot();
  const counters: Record<string, number> = {};
  const gauges: Record<string, number> = {};
  for (const [key, value] of Object.entries(all)) {
    if (key in group.counters) counters[key] = value;
    else gauges[key] = value;
  }
  return { kind: group.kind, name: group.name, type: group.type, counters, gauges };
}

/** A MetricGroup holding fixed values, so the Flume JSON and Prometheus renderers can print a snapshot. */
export function groupFromSnapshot(snapshot: MetricSnapshot): MetricGroup {
  const group = new MetricGroup(snapshot.kind, snapshot.name, snapshot.type);
  for (const [key, value] of Object.entries(snapshot.counters)) group.counters[key] = value;
  for (const [key, value] of Object.entries(snapshot.gauges)) {
    if (key === 'StartTime') group.startTime = value;
    else if (key === 'StopTime') group.stopTime = value;
    else group.gauge(key, () => value);
  }
  return group;
}
