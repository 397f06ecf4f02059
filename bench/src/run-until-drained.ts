import type { RawTopology } from '@sluice/config';
import { Agent, loadTopology, type LoadedTopology } from '@sluice/agent';
import type { MetricGroup } from '@sluice/core';
import { drained, sinkMetrics, trackPeakRss } from './result.js';

/** A started agent whose sink delivered every event, with the time and peak memory it took. */
export interface DrainedRun {
  /** Still running: the scenario reads what else it needs, then stops it. */
  agent: Agent;
  /** The component catalog the topology loaded, for building more components of its types. */
  catalog: LoadedTopology['catalog'];
  sink: MetricGroup;
  /** From just before `agent.start()` until the sink had delivered `events`. */
  elapsed: bigint;
  peakRssMb: number;
}

/**
 * The measurement most scenarios make: loads agent `agentName` of `raw`, starts it, and waits
 * until its sink `sinkName` has delivered `events` events. Start-up is inside the timing.
 */
export async function runUntilDrained(raw: RawTopology, events: number, agentName = 'bench', sinkName = 'out'): Promise<DrainedRun> {
  const { model, catalog } = await loadTopology(raw);
  const agent = new Agent(model.agents[agentName]!, catalog);
  const rss = trackPeakRss();
  const started = process.hrtime.bigint();
  await agent.start();
  const sink = sinkMetrics(agent, sinkName);
  await drained(sink, events);
  const elapsed = process.hrtime.bigint() - started;
  return { agent, catalog, sink, elapsed, peakRssMb: rss.stop() };
}
