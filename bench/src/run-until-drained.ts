import { parseTopology, type RawTopology } from '@sluice/config';
import { Agent, loadTopology, type LoadedTopology, type LoadTopologyOptions } from '@sluice/agent';
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
 * The agent `agentName` of a topology (YAML text or already parsed), built in this process and not
 * yet started: every in-process scenario makes its agent here.
 */
export async function benchAgent(topology: string | RawTopology, agentName = 'bench', options?: LoadTopologyOptions): Promise<{ agent: Agent; catalog: LoadedTopology['catalog'] }> {
  const { model, catalog } = await loadTopology(typeof topology === 'string' ? parseTopology(topology) : topology, options);
  return { agent: new Agent(model.agents[agentName]!, catalog), catalog };
}

/**
 * The topology of the source benches: source `in` (a YAML flow mapping, e.g.
 * `{ type: http, bind: 127.0.0.1, port: 0 }`) -> memory channel `mem` -> null sink `out`.
 */
export function sourceToNull(source: string, drainTimeout = '60s'): string {
  return `
agents:
  bench:
    drainTimeout: ${drainTimeout}
    sources:
      in: ${source.replace(/\s*}\s*$/, ', channels: [mem] }')}
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: 'null', channel: mem, batchSize: 1000 }
`;
}

/** The port a started agent's network source `name` listens on. */
export function sourcePort(agent: Agent, name = 'in'): number {
  return (agent.sources.get(name)!.source as unknown as { port: number }).port;
}

/**
 * The measurement most scenarios make: loads agent `agentName` of `raw`, starts it, and waits
 * until its sink `sinkName` has delivered `events` events. Start-up is inside the timing.
 */
export async function runUntilDrained(raw: RawTopology, events: number, agentName = 'bench', sinkName = 'out'): Promise<DrainedRun> {
  const { agent, catalog } = await benchAgent(raw, agentName);
  const rss = trackPeakRss();
  const started = process.hrtime.bigint();
  await agent.start();
  const sink = sinkMetrics(agent, sinkName);
  await drained(sink, events);
  const elapsed = process.hrtime.bigint() - started;
  return { agent, catalog, sink, elapsed, peakRssMb: rss.stop() };
}
