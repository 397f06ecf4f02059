import { mkdtempSync, rmSync } from 'node:fs';
import { expect } from 'chai';
import os from 'node:os';
import path from 'node:path';
import {
  builtinPlugin, ByteBudget, MetricGroup, silentLogger, Telemetry, type AnyComponentDefinition, type Channel, type ComponentContext, type ComponentKind, type MetricKind,
  type SinkContext, type SourceContext,
} from '@sluice/core';
import { validateTopology, type AgentModel } from '@sluice/config';
import { Agent, loadTopology, requireDefinition, TopologyHarness, type ComponentCatalog } from '@sluice/agent';
import { fc, fuzzTarget } from '@sluice/testkit';
import { fullCatalog, HOSTILE_STRINGS, REGRESSIONS } from './config-fuzz-support.js';

/**
 * Cases in `npm test`. `npm run fuzz` runs SLUICE_FUZZ_RUNS (a million) cases: every case
 * validates its topology and, when it validates, creates and wires every component (well under a
 * millisecond); starting and stopping a real agent (servers, a file channel) takes 20-80 ms, so a
 * long run starts one for about {@link LONG_RUN_STARTS} of the validated cases, spread over the
 * run (see {@link startsNow}); `npm test` starts one for every validated case.
 */
const QUICK_RUNS = 40;
const LONG_RUN_STARTS = 3000;

/**
 * Whether the validated case at case number `n` of `runs` also starts a real agent: always in
 * `npm test`; in a long run while fewer than LONG_RUN_STARTS * n / runs have started, so the
 * starts keep pace with the cases whatever share of them validates (about a fifth).
 */
function startsNow(started: number, n: number, runs: number): boolean {
  return process.env.SLUICE_FUZZ_RUNS === undefined || started * runs < LONG_RUN_STARTS * n;
}

/** Options the generator leaves alone: where a component listens or writes is the test's (a temp dir, port 0). */
const FIXED = new Set(['bind', 'port', 'dataDir', 'directory', 'tls', 'ca']);

interface OptionSchema { type?: string | string[]; required?: string[]; enum?: unknown[]; pattern?: string; minimum?: number; maximum?: number; default?: unknown; items?: OptionSchema; properties?: Record<string, OptionSchema> }

const duration = fc.constantFrom('0', '1ms', '10ms', '1s', '30s', '5m', '1h', '24d', '1.5s', '0.1ms', '100');
const size = fc.constantFrom('0', '1B', '1KiB', '64KiB', '1MiB', '1GB', '512B', '0.5KiB', '100', '1 KB');
const regexText = fc.constantFrom('.*', '^a', '(a)(b)?', '(\\d+)', '[', '(', '\\', 'a{2,}', '(?<n>x)', '', 'x|', '(a)|(b)', '((((((((((a))))))))))');
const text = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 6 }), regexText);

/** A value for one option: mostly of its schema's type and range (so the case reaches start), one time in ten hostile. */
function valueFor(schema: OptionSchema): fc.Arbitrary<unknown> {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const choices: fc.Arbitrary<unknown>[] = [];
  if (schema.enum) choices.push(fc.constantFrom(...schema.enum));
  if (schema.pattern) choices.push(/ms\|s\|m/.test(schema.pattern) ? duration : size);
  if (types.includes('integer')) choices.push(fc.oneof({ arbitrary: fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 100, 100) }), weight: 4 }, fc.constantFrom(schema.minimum ?? 0, 1, 2 ** 31, 2 ** 53 - 1, 1e15)));
  if (types.includes('number')) choices.push(fc.constantFrom(0, 0.5, 1, 100, 1e9, 2 ** 31));
  if (types.includes('boolean')) choices.push(fc.boolean());
  if (types.includes('string') && !schema.enum && !schema.pattern) choices.push(text);
  if (types.includes('array')) choices.push(fc.array<unknown>(schema.items?.properties ? objectFor(schema.items.properties, schema.items.required) : text, { maxLength: 3 }));
  if (types.includes('object') && schema.properties) choices.push(objectFor(schema.properties, schema.required));
  if (choices.length === 0) choices.push(text);
  return fc.oneof({ arbitrary: fc.oneof(...choices), weight: 19 }, { arbitrary: fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.constantFrom(-1, 1.5, null, true)), weight: 1 });
}

/**
 * The options without a default in `required` (a regex_extractor's regex) and a few others (at
 * most three, so most cases validate and reach start), with values.
 */
function objectFor(properties: Record<string, OptionSchema & { default?: unknown }>, required: readonly string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(properties).filter(([key]) => !FIXED.has(key));
  const must = entries.filter(([key, schema]) => required.includes(key) && schema.default === undefined);
  const may = entries.filter((entry) => !must.includes(entry));
  return fc.subarray(may, { maxLength: Math.min(3, may.length) }).chain((chosen) => {
    const all = [...must, ...chosen];
    return fc.tuple(...all.map(([, schema]) => valueFor(schema))).map((values) => Object.fromEntries(all.map(([key], i) => [key, values[i]])));
  });
}

/** Random settings of one component type: a subset of its schema's options with values. */
function settingsOf(catalog: ComponentCatalog, kind: ComponentKind, type: string): fc.Arbitrary<Record<string, unknown>> {
  const definition = catalog.find(kind, type) as AnyComponentDefinition;
  const schema = definition.schema as OptionSchema;
  return objectFor(schema.properties ?? {}, schema.required);
}

/** Longest a start or stop may take before the case fails: a hang must fail, not stall the run. */
const HANG_MS = 10_000;

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${HANG_MS} ms`)), HANG_MS); });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

const SOURCES = ['seq', 'netcat', 'http'];
const CHANNELS = ['memory', 'file'];
const SINKS = ['null', 'logger', 'file_roll'];
const INTERCEPTORS = builtinPlugin.components.filter((c) => c.kind === 'interceptor').map((c) => c.type);

/**
 * Creates every channel, sink and source of a validated agent with its real definition and its
 * real channels (create() only: nothing listens, writes or runs), and builds each source's
 * interceptors and selector and each sink group's processor the way the Agent does (through
 * {@link TopologyHarness}, which uses the Agent's buildSourcePath). What goes wrong when a
 * validated agent starts in practice goes wrong here: a TypeError or RangeError from a
 * constructor reading an option, a reference to a channel that does not exist.
 */
async function createAndWire(model: AgentModel, catalog: ComponentCatalog, dir: string): Promise<void> {
  const telemetry = new Telemetry();
  const context = (kind: MetricKind, name: string, type: string): ComponentContext => ({
    agent: model.name, name, logger: silentLogger, metrics: new MetricGroup(kind, name, type), telemetry, dataDir: path.join(dir, 'data', name), configDir: dir,
  });
  const channels = new Map<string, Channel>();
  for (const channel of Object.values(model.channels)) {
    channels.set(channel.name, requireDefinition(catalog, 'channel', channel).create(channel.config, context('CHANNEL', channel.name, channel.type)) as Channel);
  }
  const channelOf = (name: string, user: string): Channel => {
    const channel = channels.get(name);
    if (!channel) throw new Error(`'${user}' refers to channel '${name}', which the validated model does not have`);
    return channel;
  };
  for (const sink of Object.values(model.sinks)) {
    const ctx: SinkContext = {
      ...context('SINK', sink.name, sink.type), channel: channelOf(sink.channel, sink.name),
      ...(sink.deadLetter ? { deadLetter: { name: sink.deadLetter.channel, channel: channelOf(sink.deadLetter.channel, sink.name), after: sink.deadLetter.after } } : {}),
    };
    requireDefinition(catalog, 'sink', sink).create(sink.config, ctx);
  }
  for (const source of Object.values(model.sources)) {
    for (const channel of source.channels) channelOf(channel, source.name);
    const ctx: SourceContext = { ...context('SOURCE', source.name, source.type), inputBudget: new ByteBudget(model.maxPendingBytes), deliver: async () => undefined };
    requireDefinition(catalog, 'source', source).create(source.config, ctx);
  }
  const harness = await TopologyHarness.create(model, catalog, { configDir: dir });
  await harness.close();
}

/**
 * The invariant "a topology that validates also starts": small random topologies of real
 * components (seq, netcat and http sources on port 0; memory and file channels and file_roll
 * sinks in a temp dir; null and logger sinks; interceptors and selectors with random settings).
 * For every case whose topology validates (validateTopology against every first-party plugin's
 * definitions), every component must be created and wired ({@link createAndWire}); for one such
 * case in a few hundred ({@link startsNow}; every one in `npm test`), loadTopology must accept it too and a real
 * agent must start and stop. A create() or start() failure means validation let
 * through a config the component cannot run with.
 */
describe('a topology that validates also starts @fuzz', () => {
  let catalog: ComponentCatalog;
  let root: string;
  before(async () => {
    catalog = await fullCatalog();
    root = mkdtempSync(path.join(os.tmpdir(), 'sluice-fuzz-start-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('creates and wires the components of every agent that validates, and starts and stops a sample of them', async () => {
    const component = (kind: ComponentKind, types: string[]) => fc.constantFrom(...types).chain((type) => settingsOf(catalog, kind, type).map((settings) => ({ type, settings })));
    const topology = fc.record({
      sources: fc.array(fc.record({ source: component('source', SOURCES), interceptors: fc.array(component('interceptor', INTERCEPTORS), { maxLength: 3 }), multiplexing: fc.boolean(), channels: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 2 }),
      channels: fc.array(component('channel', CHANNELS), { minLength: 1, maxLength: 2 }),
      sinks: fc.array(component('sink', SINKS), { minLength: 1, maxLength: 2 }),
    });
    const runs = Number(process.env.SLUICE_FUZZ_RUNS ?? QUICK_RUNS);
    let n = 0;
    let validated = 0;
    let started = 0;
    await fuzzTarget('validates-then-starts', [topology], async (t) => {
      const dir = path.join(root, String(n++));
      const channelNames = t.channels.map((_, i) => `c${i}`);
      const channels = Object.fromEntries(t.channels.map((c, i) => [`c${i}`, { ...c.settings, type: c.type, ...(c.type === 'file' ? { dataDir: path.join(dir, `c${i}`) } : {}) }]));
      const sources = Object.fromEntries(t.sources.map((s, i) => {
        const own = channelNames.slice(0, s.channels);
        const listen = s.source.type === 'seq' ? {} : { bind: '127.0.0.1', port: 0 };
        return [`s${i}`, {
          ...s.source.settings, ...listen, type: s.source.type, channels: own,
          interceptors: s.interceptors.map((x) => ({ ...x.settings, type: x.type })),
          ...(s.multiplexing ? { selector: { type: 'multiplexing', header: 'h', mapping: { a: [own[0]] }, default: own } } : {}),
        }];
      }));
      const sinks = Object.fromEntries(t.sinks.map((k, i) => [`k${i}`, { ...k.settings, type: k.type, channel: channelNames[i % channelNames.length], ...(k.type === 'file_roll' ? { directory: path.join(dir, `k${i}`) } : {}) }]));
      const data = { agents: { a: { drainTimeout: '100ms', dataDir: path.join(dir, 'data'), sources, channels, sinks } } };
      // Every case: the validation loadTopology runs, against the same definitions (all first-party
      // plugins; loadTopology would resolve and register the plugins the file needs on every call).
      const result = validateTopology({ data, format: 'yaml' }, catalog, { agent: 'a' });
      if (result.problems.length > 0 || !result.model) {
        if (process.env.SLUICE_FUZZ_DEBUG) console.log(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
        return;
      }
      try {
        await createAndWire(result.model.agents.a!, catalog, dir);
      } catch (error) {
        throw new Error(`validated but its components could not be created: ${(error as Error).message}\n${JSON.stringify(data)}`, { cause: error });
      }
      validated++;
      if (!startsNow(started, n, runs)) return;
      // The sample: the agent's own path, loadTopology (plugins, verify) then a real start and stop.
      let loaded;
      try {
        loaded = await loadTopology({ data, format: 'yaml' }, { agent: 'a' });
      } catch (error) {
        throw new Error(`validated against every first-party plugin but loadTopology refused it: ${(error as Error).message}\n${JSON.stringify(data)}`, { cause: error });
      }
      const model = loaded.model.agents.a!;
      const agent = new Agent(model, loaded.catalog, { configDir: dir });
      try {
        await within(agent.start(), 'start()');
        started++;
      } catch (error) {
        throw new Error(`validated but did not start: ${(error as Error).message}\n${JSON.stringify(data)}`, { cause: error });
      } finally {
        await within(agent.stop(0), 'stop()');
        rmSync(dir, { recursive: true, force: true });
      }
    }, { regressions: REGRESSIONS, quickRuns: QUICK_RUNS, callLimitMs: 5000 });
    // A generator whose topologies never validate would test nothing.
    expect(started, `agents started of ${n} cases`).to.be.greaterThan(0);
    if (process.env.SLUICE_FUZZ_RUNS) console.log(`      ${validated} of ${n} cases validated and were created and wired; ${started} of them also started and stopped`);
  });
});
