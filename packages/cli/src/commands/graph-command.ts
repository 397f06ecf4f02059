import { readTopology } from '@sluice/config';
import { loadTopology } from '@sluice/agent';
import { reportLoadFailure } from './report-load-failure.js';
import { renderGraph, type GraphFormat } from './render-graph.js';

/**
 * `sluice graph -f FILE [-n NAME] [--format mermaid|dot]`: validates the topology and prints the
 * agent's flow as a Mermaid flowchart (default) or Graphviz DOT. Exit 1 on an invalid file.
 */
export async function graphCommand(file: string, name: string | undefined, format: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (format !== 'mermaid' && format !== 'dot') {
    err.write(`sluice graph: --format must be mermaid or dot, not '${format}'\n`);
    return 2;
  }
  try {
    const raw = await readTopology(file);
    const { model } = await loadTopology(raw, name === undefined ? {} : { agent: name });
    const names = Object.keys(model.agents);
    const chosen = name ?? (names.length === 1 ? names[0] : undefined);
    if (chosen === undefined) {
      err.write(`${file} defines ${names.length} agents (${names.join(', ')}); choose one with -n NAME\n`);
      return 1;
    }
    out.write(renderGraph(model.agents[chosen]!, format as GraphFormat));
    return 0;
  } catch (error) {
    return reportLoadFailure(error, file, err);
  }
}
