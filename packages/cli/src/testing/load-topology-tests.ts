import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { closest, formatProblem, parseTopology, type Problem, type RawTopology, type TopologyModel } from '@sluice/config';
import { parseTopologyTests } from './parse-topology-tests.js';
import type { TopologyTest } from './topology-test.js';

/** The problems of one file's tests. */
export interface TestFileProblems {
  file: string;
  problems: Problem[];
}

/** The tests of a topology, with every problem found in them. */
export interface LoadedTopologyTests {
  tests: TopologyTest[];
  problems: TestFileProblems[];
  /** The `NAME.test.yaml` (or `.test.yml`) beside the topology, when there is one. */
  besideFile?: string;
}

/** `router.yaml` -> `router.test.yaml` (or `.test.yml` when only that exists), or undefined when neither exists. */
export function besideTestFile(file: string): string | undefined {
  const stem = file.slice(0, file.length - path.extname(file).length);
  return [`${stem}.test.yaml`, `${stem}.test.yml`].find((candidate) => existsSync(candidate));
}

/**
 * Collects the `tests:` of a topology file and of the `NAME.test.yaml` beside it (which holds only
 * `tests:`), and checks each against the validated `model`: its agent (the test's `agent`, else
 * `defaultAgent`, else the file's only agent), its source, and the channels and sinks it expects.
 * Called by `sluice test` before running and by `sluice validate`.
 */
export async function loadTopologyTests(raw: RawTopology, model: TopologyModel, defaultAgent?: string): Promise<LoadedTopologyTests> {
  const file = raw.file ?? 'topology';
  const result: LoadedTopologyTests = { tests: [], problems: [] };
  const collect = (tests: unknown, from: string, extra: Problem[] = []): void => {
    const problems = [...extra];
    const parsed = parseTopologyTests(tests, from, problems);
    for (const test of parsed) checkReferences(test, model, defaultAgent, problems);
    result.tests.push(...parsed.filter((t) => !problems.some((p) => p.path === t.path || p.path.startsWith(`${t.path}/`))));
    if (problems.length > 0) result.problems.push({ file: from, problems });
  };
  collect((raw.data as { tests?: unknown } | undefined)?.tests, file);
  const beside = raw.file ? besideTestFile(raw.file) : undefined;
  if (beside) {
    result.besideFile = beside;
    const data = parseTopology(await readFile(beside, 'utf8'), beside).data;
    const keys = data !== null && typeof data === 'object' ? Object.keys(data).filter((k) => k !== 'tests') : [];
    const extra = keys.map((k): Problem => ({ path: `/${k}`, message: `unknown key '${k}' in a test file`, hint: 'a NAME.test.yaml file holds only tests:' }));
    collect((data as { tests?: unknown } | null)?.tests ?? [], beside, extra);
  }
  return result;
}

function checkReferences(test: TopologyTest, model: TopologyModel, defaultAgent: string | undefined, problems: Problem[]): void {
  const agents = Object.keys(model.agents);
  const name = test.agent ?? defaultAgent ?? (agents.length === 1 ? agents[0] : undefined);
  if (name === undefined) {
    problems.push({ path: `${test.path}/agent`, message: `is required: the topology defines ${agents.length} agents (${agents.join(', ')})`, hint: 'add agent: NAME to the test, or run sluice test -n NAME' });
    return;
  }
  const agent = model.agents[name];
  if (!agent) {
    problems.push({ path: `${test.path}/agent`, message: `no agent named '${name}'${defaultAgent !== undefined && test.agent !== undefined ? ` (sluice test -n ${defaultAgent} selects one agent)` : ''}`, ...hint(name, agents) });
    return;
  }
  test.agent = name;
  if (!(test.source in agent.sources)) {
    problems.push({ path: `${test.path}/source`, message: `agent '${name}' has no source '${test.source}'`, ...hint(test.source, Object.keys(agent.sources)) });
  }
  for (const expectation of test.expect) {
    const names = Object.keys(expectation.kind === 'channel' ? agent.channels : agent.sinks);
    if (!names.includes(expectation.target)) {
      problems.push({ path: `${expectation.path}/${expectation.kind}`, message: `agent '${name}' has no ${expectation.kind} '${expectation.target}'`, ...hint(expectation.target, names) });
    }
  }
}

function hint(name: string, names: string[]): { hint: string } {
  const guess = closest(name, names);
  return { hint: guess ? `did you mean '${guess}'?` : `names: ${names.join(', ') || 'none'}` };
}

/** Writes each file's test problems under a count line, as `sluice validate` and `sluice test` report them. */
export function writeTestProblems(err: NodeJS.WritableStream, groups: readonly TestFileProblems[]): void {
  for (const group of groups) {
    err.write(`${group.file}: ${group.problems.length} problem${group.problems.length === 1 ? '' : 's'} in its tests\n`);
    for (const problem of group.problems) err.write(`  - ${formatProblem(problem)}\n`);
  }
}
