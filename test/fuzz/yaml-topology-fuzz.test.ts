import { parse, stringify } from 'yaml';
import { SluiceError } from '@sluice/core';
import { ConfigError, parseTopology, validateTopology } from '@sluice/config';
import type { ComponentCatalog } from '@sluice/agent';
import { fc, fuzzTarget, onlySluiceErrors } from '@sluice/testkit';
import { assertProblems, fullCatalog, HOSTILE_STRINGS, mutatedText, REGRESSIONS, yamlSeeds } from './config-fuzz-support.js';

/** Cases in `npm test` of the targets that validate whole files (a few ms each); `npm run fuzz` runs a million. */
const HEAVY_QUICK_RUNS = 100;

const ENV: NodeJS.ProcessEnv = { KAFKA_BROKERS: 'k:9092', AWS_REGION: 'us-east-1', PORT: '5140', BIG: '9'.repeat(400), X: 'x' };

/** YAML syntax and topology vocabulary inserted into the seeds. */
const TOKENS = [
  '\n', '\n  ', '\n    ', ' ', ': ', '- ', '[', ']', '{', '}', ', ', '"', "'", '#', '&a ', '*a', '<<: *a', '!!str ', '!!int ', '? ', '|', '>', '---\n', '...\n', '%YAML 1.1\n',
  'agents', 'sources', 'channels', 'sinks', 'sinkGroups', 'stages', 'type', 'channel', 'interceptors', 'selector', 'processor', 'deadLetter', 'workers',
  'drainTimeout', 'plugins', 'monitoring', 'memory', 'file', 'netcat', 'seq', 'http', 'null', 'logger', 'file_roll', 'hdfs', 'kafka', 's3', 'sql',
  'capacity', 'transactionCapacity', 'batchSize', 'keepAlive', 'byteCapacity', 'rollInterval', 'rollSize', 'port', 'path', 'directory', 'query',
  '${PORT}', '${BIG}', '${NOPE}', '${NOPE:-3s}', ...HOSTILE_STRINGS,
];

/** A value to put anywhere in a seed's data. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(0, -1, 1, 1.5, 2 ** 31, 2 ** 53 + 2, 1e300, Number.MAX_VALUE, true, false, null),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Each seed as data, parsed once: parsing the seed again for every case was a third of the target's time. `undefined` for a seed that is no YAML. */
const seedData = new Map<string, { data: unknown } | undefined>(yamlSeeds().map((seed) => {
  try { return [seed, { data: parse(seed) as unknown }]; } catch { return [seed, undefined]; }
}));

/** A seed parsed to data with one value (chosen by index among all its nodes) replaced, written back as YAML. */
const mutatedData = fc.tuple(fc.constantFrom(...yamlSeeds()), fc.array(fc.tuple(fc.nat(), hostileValue, fc.boolean()), { minLength: 1, maxLength: 4 })).map(([seed, edits]) => {
  const parsed = seedData.get(seed);
  if (parsed === undefined) return seed;
  // A copy: the edits change the data in place.
  let data = structuredClone(parsed.data);
  // Copies of the values too: a later edit may change an inserted value in place, and fast-check
  // hands the same value objects to the map again while shrinking (a value that had become part
  // of itself overflowed the stack of the next walk).
  for (const [index, value, asKey] of edits) data = replaceNode(data, index, structuredClone(value), asKey);
  return stringify(data);
});

/** Replaces the `index`-th node (depth-first, modulo the count) with `value`, or adds `value` under a hostile key. */
function replaceNode(data: unknown, index: number, value: unknown, asKey: boolean): unknown {
  const nodes: { holder: Record<string, unknown>; key: string }[] = [];
  const visit = (holder: Record<string, unknown>, key: string): void => {
    nodes.push({ holder, key });
    const item = holder[key];
    if (item !== null && typeof item === 'object') for (const k of Object.keys(item)) visit(item as Record<string, unknown>, k);
  };
  const root = { root: data };
  visit(root, 'root');
  const { holder, key } = nodes[index % nodes.length]!;
  const target = holder[key];
  if (asKey && target !== null && typeof target === 'object' && !Array.isArray(target)) {
    Object.defineProperty(target, typeof value === 'string' ? value : 'extra', { value, enumerable: true, configurable: true, writable: true });
  } else holder[key] = value;
  return root.root;
}

/**
 * A YAML topology, however mangled, is validated into problems that each carry a path (or
 * refused with a ConfigError listing them), never a raw exception, and within 100 ms. The seeds
 * are every example topology and every YAML block of the docs.
 */
describe('YAML topology validation @fuzz', () => {
  let catalog: ComponentCatalog;
  before(async () => {
    catalog = await fullCatalog();
    // Lazily loaded dependencies (the SQL stage's engine) load here, not inside the first timed case.
    for (const seed of yamlSeeds()) onlySluiceErrors(() => validateTopology(parseTopology(seed, 'seed.yaml', { env: ENV }), catalog));
  });

  const check = (text: string): void => {
    const result = onlySluiceErrors(() => validateTopology(parseTopology(text, 'fuzz.yaml', { env: ENV }), catalog));
    if (result instanceof SluiceError) {
      if (!(result instanceof ConfigError)) throw new Error(`a ${result.code} instead of a ConfigError: ${result.message}`);
      assertProblems(result.problems, 'ConfigError');
      return;
    }
    assertProblems(result.problems, 'problems');
  };

  it('mutated example and docs topologies (text edits) give problems with paths', async () => {
    await fuzzTarget('yaml-topology-text', [mutatedText(yamlSeeds(), TOKENS, 6)], check, { regressions: REGRESSIONS, quickRuns: HEAVY_QUICK_RUNS });
  });

  it('example and docs topologies with hostile values and keys give problems with paths', async () => {
    await fuzzTarget('yaml-topology-values', [mutatedData], check, { regressions: REGRESSIONS, quickRuns: HEAVY_QUICK_RUNS });
  });
});
