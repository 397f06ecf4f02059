import path from 'node:path';
import type { AgentModel, ChannelModel, ComponentLookup, SourceModel } from '@sluice/config';
import { planWorkers } from './worker-plan.js';

/** `worker-<index>`: the subdirectory that holds the state of worker `index` (1 and up). */
export function workerDirName(index: number): string {
  return `worker-${index}`;
}

/**
 * The model worker `index` of an agent with `workers: N` runs, derived from the agent's model:
 * - Worker 0 runs the model unchanged, so its state (file channel stores, taildir positions) is
 *   where a single-process agent keeps it: going from 1 worker to N strands nothing.
 * - Worker i >= 1 keeps its state under a `worker-<i>` subdirectory: the agent dataDir becomes
 *   `<dataDir>/worker-<i>`, and a channel whose config sets its own `dataDir` (file,
 *   spillable_memory) gets `<that dataDir>/worker-<i>`. A restarted worker gets its index back, so
 *   it reopens the same stores and delivers what it had committed.
 * - Worker i >= 1 runs only the shardable sources (see {@link planWorkers}); its channels and sinks
 *   are all there, so the sinks drain what its sources commit.
 * Called by `sluice agent` in each worker process at start and on every reload.
 */
export function modelForWorker(model: AgentModel, lookup: Pick<ComponentLookup, 'find'>, index: number): AgentModel {
  if (index === 0) return model;
  const sub = workerDirName(index);
  const everyWorker = new Set(planWorkers(model, lookup).everyWorker);
  const sources: Record<string, SourceModel> = {};
  for (const [name, source] of Object.entries(model.sources)) if (everyWorker.has(name)) sources[name] = source;
  const channels: Record<string, ChannelModel> = {};
  for (const [name, channel] of Object.entries(model.channels)) {
    const own = channel.config.dataDir;
    channels[name] = typeof own === 'string' && own !== ''
      ? { ...channel, config: Object.freeze({ ...channel.config, dataDir: path.join(own, sub) }) }
      : channel;
  }
  return { ...model, dataDir: path.join(model.dataDir, sub), sources, channels };
}
