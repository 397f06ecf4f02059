import { expect } from 'chai';
import { SluiceError } from '@sluice/core';
import { ConfigError, parseTopology, readJavaProperties, substituteFlumeValue, validateTopology } from '@sluice/config';
import type { ComponentCatalog } from '@sluice/agent';
import { fc, fuzzTarget, onlySluiceErrors } from '@sluice/testkit';

/** Cases in `npm test` of the targets that validate whole files (a few ms each); `npm run fuzz` runs a million. */
const HEAVY_QUICK_RUNS = 100;
import { assertProblems, flumeCorpus, fullCatalog, HOSTILE_STRINGS, mutatedText, REGRESSIONS } from './config-fuzz-support.js';

/** What Flume files read from the environment, plus names that are Object.prototype members. */
const ENV: NodeJS.ProcessEnv = { NC_PORT: '6667', KAFKA_HOST: 'kafka-1:9092', MY_POD_NAME: 'pod-7', X: '${X}', Y: '1e400' };

/** The syntax of .properties files and of Flume's keys. */
const TOKENS = [
  '\n', '\r\n', '\r', ' ', '\t', '\f', '=', ':', '\\', '\\\n', '\\u', '\\u00e4', '\\uZZZZ', '#', '!', '.', '${', '}', '$${', '${env:', '${sys:', "['K']",
  'a1', 'a1.sources', 'a1.channels', 'a1.sinks', 'a1.sinkgroups', 'a1.configfilters', '.type', '.channels', '.channel', '.interceptors', '.selector.',
  '.processor.', '.sinks', 'r1', 'c1', 'k1', 'i1', 'g1', 'f1', 'memory', 'file', 'netcat', 'seq', 'hdfs', 'avro', 'logger', 'null', 'timestamp', 'regex_filter',
  'multiplexing', 'failover', 'env', 'org.apache.flume.sink.LoggerSink', 'com.acme.X$Builder', 'hdfs.path', 'hdfs.rollInterval', 'capacity',
  'transactionCapacity', 'batchSize', 'port', 'bind', ' = ', ', ', ...HOSTILE_STRINGS,
];

/** One line `key = value` built from Flume-ish parts, for files written from scratch. */
const line = fc.tuple(
  fc.array(fc.constantFrom('a1', 'a2', 'sources', 'channels', 'sinks', 'sinkgroups', 'r1', 'c1', 'k1', 'g1', 'type', 'channel', 'interceptors', 'i1', 'selector', 'processor', 'mapping', 'hdfs', 'path', 'configfilters', 'f1'), { minLength: 1, maxLength: 5 }),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 4 }),
).map(([key, value]) => `${key.join('.')} = ${value.join(' ')}`);
const written = fc.array(line, { maxLength: 30 }).map((lines) => lines.join('\n'));

/**
 * A Flume file, whatever its bytes, is read into problems (each with a path) and warnings, or
 * refused with a SluiceError: never a TypeError or RangeError from the reader, the translation
 * or a component's fromFlume, and never slower than the fuzz call limit (100 ms).
 */
describe('Flume .properties reading and translation @fuzz', () => {
  let catalog: ComponentCatalog;
  before(async () => {
    catalog = await fullCatalog();
    // Lazily loaded dependencies load here, not inside the first timed case.
    for (const text of flumeCorpus()) onlySluiceErrors(() => validateTopology(parseTopology(text, 'seed.properties', { env: ENV }), catalog));
  });

  const check = (text: string): void => {
    const result = onlySluiceErrors(() => validateTopology(parseTopology(text, 'fuzz.properties', { env: ENV }), catalog));
    if (result instanceof SluiceError) {
      if (result instanceof ConfigError) assertProblems(result.problems, 'ConfigError');
      return;
    }
    assertProblems(result.problems, 'problems');
    assertProblems(result.warnings, 'warnings');
  };

  it('mutated corpus files give problems with paths, never a raw exception', async () => {
    await fuzzTarget('flume-properties-mutated', [mutatedText(flumeCorpus(), TOKENS, 8)], check, { regressions: REGRESSIONS, quickRuns: HEAVY_QUICK_RUNS });
  });

  it('files written from Flume key parts give problems with paths, never a raw exception', async () => {
    await fuzzTarget('flume-properties-written', [written], check, { regressions: REGRESSIONS });
  });

  it('arbitrary text gives problems with paths, never a raw exception', async () => {
    await fuzzTarget('flume-properties-text', [fc.string({ unit: fc.constantFrom('a', '1', '.', '=', ':', ' ', '\\', '\n', '\r', '#', '!', '$', '{', '}', 'u', 't', '\t', 's') , maxLength: 200 })], (text) => {
      readJavaProperties(text);
      check(text);
    }, { regressions: REGRESSIONS });
  });

  it('${...} substitution of one value never throws, never overflows and never renders an Object.prototype member', async () => {
    const value = fc.array(fc.constantFrom('${', '}', '$', '$${', 'env:', 'sys:', 'a', 'b', 'A', 'constructor', 'toString', '__proto__', ':', '-', "['", "']", 'f1', ' '), { maxLength: 60 }).map((parts) => parts.join(''));
    const keys = fc.dictionary(fc.constantFrom('a', 'b', 'constructor', 'x'), value, { maxKeys: 4 });
    await fuzzTarget('flume-substitution', [value, keys, fc.nat({ max: 3000 })], (text, properties, nesting) => {
      const deep = `${'${'.repeat(nesting)}a${'}'.repeat(nesting)}`;
      for (const input of [text, deep + text]) {
        const out = substituteFlumeValue(input, new Map(Object.entries(properties)), { A: 'x' }, () => undefined, 0, new Set(['f1']));
        expect(out).to.be.a('string');
        expect(out).not.to.contain('[native code]');
      }
    }, { regressions: REGRESSIONS });
  });
});
