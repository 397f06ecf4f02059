import type { TopologyModel } from '@sluice/config';
import { TopologyHarness, type ComponentCatalog } from '@sluice/agent';
import { compareEvents } from './compare-events.js';
import type { TopologyTest } from './topology-test.js';

/**
 * Runs one test in a fresh {@link TopologyHarness} of its agent: injects the input as one batch at
 * the source, drains the sink processors, and compares every expectation. Resolves the diff lines
 * of each failed expectation ([] when the test passed); a delivery the source path rejects is a
 * failure too.
 */
export async function runTopologyTest(test: TopologyTest, model: TopologyModel, catalog: ComponentCatalog): Promise<string[]> {
  const agent = model.agents[test.agent!]!;
  const harness = await TopologyHarness.create(agent, catalog, { configDir: model.baseDir });
  try {
    // Each event gets its own headers object: interceptors may change them.
    const input = test.input.map((e) => ({ headers: { ...e.headers }, body: e.body }));
    try {
      await harness.inject(test.source, input);
    } catch (error) {
      return [`source '${test.source}' refused the input: ${(error as Error).message}`];
    }
    await harness.drain();
    const diff: string[] = [];
    for (const expectation of test.expect) {
      const actual = expectation.kind === 'channel' ? harness.channelEvents(expectation.target) : harness.sinkEvents(expectation.target);
      diff.push(...(compareEvents(expectation, actual) ?? []));
    }
    return diff;
  } finally {
    await harness.close();
  }
}
