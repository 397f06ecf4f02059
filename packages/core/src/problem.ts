import { SluiceError } from './errors.js';

/**
 * One thing wrong with a topology: where, what, and how to fix it. `@sluice/config` reports every
 * problem of a file in this shape; a component's `check` returns the same shape for its own config
 * (see {@link ComponentDefinition.check}).
 */
export interface Problem {
  /**
   * JSON pointer into the topology, e.g. `/agents/a1/sinks/k1/batchSize`. In what a component's
   * `check` returns it is relative to the component's config (`/path`, `/roll/size`); the
   * validator prefixes the component's own pointer.
   */
  path: string;
  /** What is wrong, for people. */
  message: string;
  /** How to fix it, when we can tell. */
  hint?: string;
  /** The .properties key the path came from, for Flume files (the validator fills it in). */
  key?: string;
  /**
   * `warning`: something Flume tolerates (an unknown key, a key that only tunes the JVM) that
   * Sluice reports but runs with; only Flume `.properties` files produce warnings, and `--strict`
   * turns them into errors. Absent means an error: the topology does not load.
   */
  severity?: 'error' | 'warning';
}

/**
 * Throws what a component's own `check` found, for its constructor or `create`: one
 * SLUICE_CONFIG_INVALID whose message is `<who>: <message>` (several joined by `; `), so a config
 * that skipped `sluice validate` fails at start with the text validate would have shown. Does
 * nothing when `problems` is empty.
 */
export function throwConfigProblems(problems: readonly Problem[], who: string): void {
  if (problems.length === 0) return;
  throw new SluiceError('SLUICE_CONFIG_INVALID', `${who}: ${problems.map((p) => p.message).join('; ')}`, {
    details: { paths: problems.map((p) => p.path) },
  });
}
