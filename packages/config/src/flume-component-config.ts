import type { AnyComponentDefinition, ComponentKind, FlumeTranslation } from '@sluice/core';
import { closest } from './closest.js';
import { camelCaseKey, defaultFromFlume } from './flume-aliases.js';
import { FLUME_COMPONENT_KEYS } from './flume-component-keys.js';
import { pointerSegment, type Problem } from './problem.js';
import type { FlumeComponentProperties } from './raw-topology.js';

/**
 * Keys every Flume source or sink may carry that tune Flume's Java runner threads; they mean
 * nothing in Sluice (whose runners back off by their own rules) and are dropped with a warning.
 */
const RUNNER_KEYS: Partial<Record<ComponentKind, RegExp>> = {
  source: /^(runner(\..*)?|backoffSleepIncrement|maxBackoffSleep)$/,
  sink: /^runner(\..*)?$/,
};

/**
 * Turns the Flume keys of one component into its Sluice config, reporting what Flume tolerates
 * as warnings: runner tuning keys, what the component's `fromFlume` warns about, and keys that
 * are not options of the schema (dropped, with "did you mean" for a likely typo). What
 * `fromFlume` refuses is an error. The component's Flume defaults are applied last. Called by
 * `validateTopology` for every component of a Flume file; `path` is the component's pointer.
 */
export function translateFlumeComponent(definition: AnyComponentDefinition, flume: FlumeComponentProperties, path: string, problems: Problem[]): Record<string, unknown> {
  const { prefix } = flume;
  // A Flume key has no pointer of its own in the Sluice config: the problem points at the component and names the key.
  const at = (key: string): Pick<Problem, 'path' | 'key'> => ({ path, key: `${prefix}${key}` });
  const properties: Record<string, string> = {};
  const runner = RUNNER_KEYS[definition.kind];
  for (const [key, value] of Object.entries(flume.properties)) {
    if (runner?.test(key)) problems.push({ ...at(key), severity: 'warning', message: 'tunes the runner thread of Flume\'s Java implementation; it means nothing in Sluice and is ignored' });
    else properties[key] = value;
  }
  const translation: FlumeTranslation = {
    warn: (key, message, hint) => problems.push({ ...at(key), severity: 'warning', message, ...(hint ? { hint } : {}) }),
    refuse: (key, message, hint) => problems.push({ ...at(key), message, ...(hint ? { hint } : {}) }),
  };
  let config: Record<string, unknown>;
  try {
    config = definition.fromFlume ? definition.fromFlume(properties, translation) : defaultFromFlume(properties);
  } catch (error) {
    problems.push({ path, key: prefix.replace(/\.$/, ''), message: `${definition.kind} type '${definition.type}' failed to read its Flume keys: ${(error as Error)?.message ?? String(error)}`, hint: 'this is a bug in the component (fromFlume must not throw); report it to its authors' });
    return {};
  }
  const known = Object.keys((definition.schema as { properties?: Record<string, unknown> }).properties ?? {});
  for (const key of Object.keys(config)) {
    if (known.includes(key)) continue;
    const original = Object.keys(properties).find((k) => k === key || camelCaseKey(k) === key || (k.includes('.') && camelCaseKey(k.slice(k.indexOf('.') + 1)) === key)) ?? key;
    // A typo of a Flume key is best answered in Flume's spelling (hdfs.rollIntreval -> hdfs.rollInterval).
    const flumeGuess = closest(original, FLUME_COMPONENT_KEYS[`${definition.kind} ${definition.type}`] ?? []);
    const guess = flumeGuess ?? (closest(key, known) === undefined ? undefined : flumeSpelling(closest(key, known)!, original));
    problems.push({
      path: `${path}/${pointerSegment(key)}`, key: `${prefix}${original}`, severity: 'warning',
      message: `is not a key of ${definition.kind} type '${definition.type}'; Flume ignores unknown keys and so does Sluice for Flume files`,
      hint: guess ? `did you mean '${guess}'?` : `known keys: ${known.join(', ')}`,
    });
    delete config[key];
  }
  return applyDefaults(config, definition.flumeDefaults);
}

/** A schema key spelled the way the user wrote theirs (keeping a namespace such as `hdfs.`). */
function flumeSpelling(schemaKey: string, original: string): string {
  const dot = original.lastIndexOf('.');
  return dot > 0 && !schemaKey.includes('.') ? `${original.slice(0, dot + 1)}${schemaKey}` : schemaKey;
}

function applyDefaults(config: Record<string, unknown>, defaults: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  if (!defaults) return config;
  const out: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(defaults)) {
    const set = out[key];
    if (set === undefined) out[key] = structuredClone(value);
    else if (isObject(set) && isObject(value)) out[key] = { ...value, ...set };
  }
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
