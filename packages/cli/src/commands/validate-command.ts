import { readTopology } from '@sluice/config';
import { loadTopology } from '@sluice/agent';
import { reportLoadFailure } from './report-load-failure.js';

/** `sluice validate -f FILE [-n NAME]`: exit 0 when valid, 1 with every problem listed. */
export async function validateCommand(file: string, agent: string | undefined, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  try {
    const raw = await readTopology(file);
    const { model } = await loadTopology(raw, agent === undefined ? {} : { agent });
    const names = Object.keys(model.agents);
    out.write(`${file}: valid (${names.map((n) => describe(model.agents[n]!)).join('; ')})\n`);
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
