import path from 'node:path';
import { readTopology } from '@sluice/config';
import { loadTopology } from '@sluice/agent';
import { loadTopologyTests, writeTestProblems } from '../testing/load-topology-tests.js';
import { runTopologyTest } from '../testing/run-topology-test.js';
import { reportLoadFailure } from './report-load-failure.js';

/**
 * `sluice test -f FILE [-n NAME]`: runs the topology's unit tests (its `tests:` and those of the
 * `NAME.test.yaml` beside it) in-process with the real interceptors, selectors and sink
 * processors; no source is started and no port opened. Prints one line per test and, for each
 * failure, the expected (`-`) and arrived (`+`) events. Resolves 0 when every test passed, 1 when
 * one failed, the file or its tests are invalid, or there are no tests.
 */
export async function testCommand(file: string, agent: string | undefined, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let loaded;
  try {
    const raw = await readTopology(file);
    const { model, catalog } = await loadTopology(raw, agent === undefined ? {} : { agent });
    loaded = { model, catalog, tests: await loadTopologyTests(raw, model, agent) };
  } catch (error) {
    return reportLoadFailure(error, file, err);
  }
  const { model, catalog, tests } = loaded;
  if (tests.problems.length > 0) {
    writeTestProblems(err, tests.problems);
    return 1;
  }
  if (tests.tests.length === 0) {
    err.write(`${file}: no tests; add a tests: list to it or write ${path.basename(file, path.extname(file))}.test.yaml beside it (see docs/cli.md)\n`);
    return 1;
  }
  out.write(`${file}: ${tests.tests.length} test${tests.tests.length === 1 ? '' : 's'}${tests.besideFile ? ` (with ${path.basename(tests.besideFile)})` : ''}\n`);
  let failed = 0;
  for (const test of tests.tests) {
    const diff = await runTopologyTest(test, model, catalog);
    if (diff.length === 0) {
      out.write(`  ok    ${test.name}\n`);
      continue;
    }
    failed += 1;
    out.write(`  FAIL  ${test.name}  [${path.basename(test.file)} ${test.path}]\n`);
    for (const line of diff) out.write(`        ${line}\n`);
  }
  out.write(`${tests.tests.length} test${tests.tests.length === 1 ? '' : 's'}: ${tests.tests.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}
