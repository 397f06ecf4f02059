import { readTopology } from '@sluice/config';
import { loadTopology, planWorkers } from '@sluice/agent';
import { loadTopologyTests, writeTestProblems } from '../testing/load-topology-tests.js';
import { reportLoadFailure } from './report-load-failure.js';

/**
 * `sluice validate -f FILE [-n NAME]`: exit 0 when valid, 1 with every problem listed. The
 * topology's `sluice test` cases (in the file or its NAME.test.yaml) are checked too, not run.
 */
export async function validateCommand(file: string, agent: string | undefined, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  try {
    const raw = await readTopology(file);
    const { model, catalog } = await loadTopology(raw, agent === undefined ? {} : { agent });
    const tests = await loadTopologyTests(raw, model, agent);
    if (tests.problems.length > 0) {
      writeTestProblems(err, tests.problems);
      return 1;
    }
    const names = Object.keys(model.agents);
    const counted = tests.tests.length > 0 ? `; ${tests.tests.length} test${tests.tests.length === 1 ? '' : 's'}` : '';
    out.write(`${file}: valid (${names.map((n) => describe(model.agents[n]!)).join('; ')}${counted})\n`);
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

function describe(agent: { name: string; sources: object; channels: object; sinks: object }): string {
  const count = (o: object): number => Object.keys(o).length;
  return `agent '${agent.name}': ${count(agent.sources)} sources, ${count(agent.channels)} channels, ${count(agent.sinks)} sinks`;
}
