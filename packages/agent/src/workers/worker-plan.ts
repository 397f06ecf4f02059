import type { ComponentLookup, AgentModel } from '@sluice/config';

/** Where each source of an agent runs when the agent has several workers. */
export interface WorkerPlan {
  /** Worker processes (the agent's `workers`). */
  readonly count: number;
  /** Sources every worker runs: their definition says `capabilities: { shardable: true }`. */
  readonly everyWorker: readonly string[];
  /** Sources only worker 0 runs (file tailers, spooling directories, stdin, generators...). */
  readonly workerZeroOnly: readonly string[];
}

/**
 * Splits an agent's sources by whether they can run in every worker process. A source can when its
 * definition declares `capabilities: { shardable: true }`: a listening socket the workers share
 * (netcat, syslog, http, avro) or a consumer group (kafka). Anything else (taildir, spooldir, exec,
 * stdin, seq, and any plugin that does not say so) would read the same input twice, so it runs in
 * worker 0 only. Called by the agent when it builds each worker's model and by `sluice validate`,
 * which prints the split. An unknown type counts as not shardable.
 */
export function planWorkers(model: AgentModel, lookup: Pick<ComponentLookup, 'find'>): WorkerPlan {
  const everyWorker: string[] = [];
  const workerZeroOnly: string[] = [];
  for (const source of Object.values(model.sources)) {
    const shardable = lookup.find('source', source.type)?.capabilities?.shardable === true;
    (shardable ? everyWorker : workerZeroOnly).push(source.name);
  }
  return { count: model.workers, everyWorker, workerZeroOnly };
}
