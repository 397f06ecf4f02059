import cluster from 'node:cluster';
import type { Agent } from '../agent.js';
import { isWorkerMessage, snapshotGroup, type WorkerMessage } from './worker-messages.js';

/** Which worker this process is: set by the primary in the environment of each worker it forks. */
export interface WorkerIdentity {
  /** 0 to count - 1; a restarted worker gets the index of the one it replaces. */
  readonly index: number;
  readonly count: number;
}

/** Environment variables the primary sets for a worker. */
export const WORKER_INDEX_ENV = 'SLUICE_WORKER_INDEX';
export const WORKER_COUNT_ENV = 'SLUICE_WORKER_COUNT';

/**
 * This process's identity when it is a worker forked by `sluice agent`'s primary (a cluster worker
 * with SLUICE_WORKER_INDEX and SLUICE_WORKER_COUNT set), otherwise undefined.
 */
export function workerIdentity(env: NodeJS.ProcessEnv = process.env): WorkerIdentity | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(env[WORKER_INDEX_ENV]);
  const count = Number(env[WORKER_COUNT_ENV]);
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return undefined;
  return { index, count };
}

/**
 * Connects a started worker's agent to the primary: tells it the agent started, answers its
 * `metrics` requests with the agent's metrics and health, and calls `stop` when the primary asks
 * for a drain or goes away (the IPC channel closes: a worker never outlives its primary).
 * Called by `sluice agent` in a worker process right after the agent started. Returns a function
 * that detaches the listeners.
 */
export function connectToPrimary(agent: Agent, identity: WorkerIdentity, stop: () => void): () => void {
  const send = (message: WorkerMessage): void => {
    if (process.connected) process.send?.(message);
  };
  const onMessage = (message: unknown): void => {
    if (!isWorkerMessage(message)) return;
    if (message.sluice === 'stop') stop();
    else if (message.sluice === 'metrics') {
      send({ sluice: 'metrics', id: message.id, report: { groups: agent.metrics.map(snapshotGroup), healthy: agent.healthy, status: agent.status } });
    }
  };
  process.on('message', onMessage);
  process.on('disconnect', stop);
  send({ sluice: 'started', index: identity.index });
  return () => {
    process.off('message', onMessage);
    process.off('disconnect', stop);
  };
}
