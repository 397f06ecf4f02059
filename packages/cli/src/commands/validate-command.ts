import { readTopology } from '@sluice/config';
import { loadTopology, planWorkers } from '@sluice/agent';
import { loadTopologyTests, writeTestProblems } from '../testing/load-topology-tests.js';
import { reportLoadFailure, writeGrouped, writeSkipped } from './report-load-failure.js';

/** Options of `sluice validate`. */
export interface ValidateCommandOptions {
  /** Check only this agent of the file (`-n`). */
  agent?: string | undefined;
  /** Warnings (what Flume tolerates in a .properties file) count as errors (`--strict`). */
  strict?: boolean;
}

/**
 * `sluice validate -f FILE [-n NAME] [--strict]`: exit 0 when valid (warnings, listed on `out`,
 * allowed), 1 with every problem listed, grouped per agent. The topology's `sluice test` cases
 * (in the file or its NAME.test.yaml) are checked too, not run.
 */
export async function validateCommand(file: string, options: ValidateCommandOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  try {
    const raw = await readTopology(file);
    const { model, catalog, warnings, skippedAgents } = await loadTopology(raw, { ...(options.agent === undefined ? {} : { agent: options.agent }), ...(options.strict ? { strict: true } : {}) });
    const tests = await loadTopologyTests(raw, model, options.agent);
    if (tests.problems.length > 0) {
      writeTestProblems(err, tests.problems);
      return 1;
    }
    const names = Object.keys(model.agents);
    const count = warnings.length > 0 ? ` with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : '';
    const counted = tests.tests.length > 0 ? `; ${tests.tests.length} test${tests.tests.length === 1 ? '' : 's'}` : '';
    out.write(`${file}: valid${count} (${names.map((n) => describe(model.agents[n]!)).join('; ')}${counted})\n`);
    writeGrouped(out, warnings);
    writeSkipped(out, skippedAgents);
    for (const name of names) {
      const plan = planWorkers(model.agents[name]!, catalog);
      if (plan.count < 2) continue;
      const only = plan.workerZeroOnly.length > 0 ? `; worker 0 only: ${plan.workerZeroOnly.join(', ')} (these sources cannot be sharded)` : '';
      out.write(`agent '${name}': ${plan.count} workers; every worker: ${plan.everyWorker.length > 0 ? plan.everyWorker.join(', ') : 'no source'}${only}\n`);
    }
    return 0;
  } catch (error) {
    return reportLoadFailure(error, file, err);
  }
}

function describe(agent: { name: string; sources: object; channels: object; sinks: object; stages?: object }): string {
  const count = (o: object): number => Object.keys(o).length;
  const stages = count(agent.stages ?? {});
  return `agent '${agent.name}': ${count(agent.sources)} sources, ${count(agent.channels)} channels, ${count(agent.sinks)} sinks${stages > 0 ? `, ${stages} stages` : ''}`;
}
