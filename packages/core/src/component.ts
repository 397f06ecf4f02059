/**
 * Lifecycle shared by every source, channel and sink. The agent calls `start` once before any
 * traffic and `stop` once at shutdown or reload; both must be idempotent (a second call is a
 * no-op) and `stop` must release every socket, timer and file handle the component holds.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What a poll or process call achieved: `ready` means call again now, `backoff` means wait. */
export type Status = 'ready' | 'backoff';
