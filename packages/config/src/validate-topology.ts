import os from 'node:os';
import path from 'node:path';
import { parseDuration, parseSize, type AnyComponentDefinition, type CheckScope, type ClaimedResource, type ComponentKind } from '@sluice/core';
import { closest, SuggestionBudget } from './closest.js';
import { nameList } from './name-list.js';
import type { ComponentLookup } from './component-lookup.js';
import { camelCaseKey, isFlumeBuiltin, isJavaClassName } from './flume-aliases.js';
import { translateFlumeComponent } from './flume-component-config.js';
import type {
  AgentModel, ChannelModel, ComponentModel, SinkGroupModel, SinkModel, SourceModel, StageModel, TopologyModel,
} from './model.js';
import { pointer, pointerSegment, type Problem } from './problem.js';
import type { RawTopology } from './raw-topology.js';
import { validateComponentConfig } from './schema-validator.js';
import { explainYamlScalars } from './yaml-scalars.js';

// `tests` holds `sluice test` cases; the agent ignores them and `sluice test`/`validate` check them.
const TOP_KEYS = ['plugins', 'agents', 'monitoring', 'tests'];
/** The agent-wide input budget when `maxPendingBytes` is not set: room for a few large requests, well under a small host's memory. */
export const DEFAULT_AGENT_MAX_PENDING_BYTES = 96 * 1024 * 1024;

const AGENT_KEYS = ['sources', 'channels', 'sinks', 'stages', 'sinkGroups', 'drainTimeout', 'dataDir', 'workers', 'maxPendingBytes'];
const RESERVED: Record<'source' | 'channel' | 'sink' | 'stage', string[]> = {
  stage: ['type', 'channel', 'channels', 'deadLetter'],
  source: ['type', 'channels', 'interceptors', 'selector'],
  channel: ['type'],
  sink: ['type', 'channel', 'deadLetter'],
};

/** The outcome of {@link validateTopology}: a model only when there were no problems. */
export interface ValidationResult {
  model?: TopologyModel;
  /** Errors: the topology does not load while there is one. */
  problems: Problem[];
  /**
   * What Flume tolerates and Sluice reports (severity `warning`; only Flume files have them): the
   * topology loads; `sluice validate` prints them and `sluice agent` logs them once at start.
   */
  warnings: Problem[];
  /** With `agent` set: the file's other agents, which were not checked. */
  skippedAgents: string[];
  /**
   * For a Flume file: each component's config as translated from its Flume keys (Flume defaults
   * applied, schema defaults not), by component pointer; what `sluice migrate` writes as YAML.
   */
  flumeConfigs?: Map<string, Record<string, unknown>>;
}

/** Options for {@link validateTopology}. */
export interface ValidateOptions {
  /** Only validate this agent (the file may define others). */
  agent?: string;
  /** Directory relative plugin paths resolve against (default: the file's directory or cwd). */
  baseDir?: string;
  /** Treat warnings (what Flume tolerates) as errors. */
  strict?: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Checks a raw topology completely and reports every problem at once: the file's shape, each
 * component's type and config against its schema and its own `check`, and the graph (references,
 * unconnected channels, duplicate names, clashing ports, batch sizes above a channel's
 * transactionCapacity).
 * Nothing is started and nothing is replaced by a default silently.
 */
export function validateTopology(raw: RawTopology, lookup: ComponentLookup, options: ValidateOptions = {}): ValidationResult {
  const agentNames = isObject(raw.data) && isObject(raw.data.agents) ? Object.keys(raw.data.agents) : [];
  const chosen = options.agent !== undefined && agentNames.includes(options.agent) ? options.agent : undefined;
  // With -n, the other agents of the file are not checked: their problems are not this agent's.
  const only = options.agent === undefined ? undefined : pointer('agents', options.agent);
  const problems: Problem[] = (raw.problems ?? []).filter((p) => only === undefined || !/^\/agents\//.test(p.path) || p.path === only || p.path.startsWith(`${only}/`));
  const skippedAgents = chosen === undefined ? [] : agentNames.filter((n) => n !== chosen);
  const flumeConfigs = raw.format === 'properties' ? new Map<string, Record<string, unknown>>() : undefined;
  const finish = (model?: TopologyModel): ValidationResult => {
    const all = withKeys(explainYamlScalars(problems, raw.yamlScalars), raw).map((p) => (options.strict && p.severity === 'warning' ? { ...p, severity: 'error' as const } : p));
    const errors = all.filter((p) => p.severity !== 'warning');
    const warnings = all.filter((p) => p.severity === 'warning');
    return { ...(model && errors.length === 0 ? { model } : {}), problems: errors, warnings, skippedAgents, ...(flumeConfigs ? { flumeConfigs } : {}) };
  };
  const data = raw.data;
  const coerce = raw.format === 'properties';
  const baseDir = options.baseDir ?? (raw.file ? path.dirname(path.resolve(raw.file)) : process.cwd());
  if (!isObject(data)) {
    problems.push({ path: '', message: 'the topology must be a mapping with an `agents:` key', hint: 'see examples/single-agent/topology.yaml' });
    return finish();
  }
  checkKeys(data, TOP_KEYS, '', 'top-level key', problems);
  const plugins = Array.isArray(data.plugins) && data.plugins.every((p) => typeof p === 'string') ? (data.plugins as string[]) : [];
  if (data.plugins !== undefined && plugins.length !== (data.plugins as unknown[]).length) {
    problems.push({ path: '/plugins', message: 'must be a list of package names or paths', hint: 'plugins: ["@sluice/plugin-kafka", "./my-plugin"]' });
  }
  const monitoring = checkMonitoring(data.monitoring, problems);
  const agents: Record<string, AgentModel> = {};
  if (!isObject(data.agents) || Object.keys(data.agents).length === 0) {
    problems.push({ path: '/agents', message: 'no agent is defined', hint: 'add agents: { myagent: { sources: ..., channels: ..., sinks: ... } }' });
  } else {
    const names = options.agent === undefined ? Object.keys(data.agents) : [options.agent];
    const suggestions = new SuggestionBudget();
    const errors = new ErroredComponents();
    if (options.agent !== undefined && !(options.agent in data.agents)) {
      const guess = closest(options.agent, Object.keys(data.agents));
      problems.push({ path: '/agents', message: `no agent named '${options.agent}'`, hint: guess ? `did you mean '${guess}'?` : `agents in this file: ${nameList(Object.keys(data.agents))}` });
    }
    for (const name of names) {
      if (!(name in data.agents)) continue;
      const agent = new AgentValidator(name, data.agents[name], lookup, raw, coerce, problems, flumeConfigs, suggestions, errors).run();
      if (agent) agents[name] = agent;
    }
  }
  const model: TopologyModel = { plugins, agents, monitoring, baseDir, ...(raw.file ? { file: path.resolve(raw.file) } : {}) };
  return finish(deepFreeze(model));
}

/**
 * A number written as a number or as text (`port: "41414"`); NaN for anything else. Number() of a
 * mapping calls its toString, which a YAML key can replace (`{ toString: x }` throws a TypeError),
 * and Number(true) is 1.
 */
function numberOf(value: unknown): number {
  return typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;
}

function checkMonitoring(value: unknown, problems: Problem[]): TopologyModel['monitoring'] {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push({ path: '/monitoring', message: 'must be a mapping', hint: 'monitoring: { http: { port: 41414 } }' });
    return {};
  }
  checkKeys(value, ['http'], '/monitoring', 'monitoring key', problems);
  if (value.http === undefined) return {};
  if (!isObject(value.http)) {
    problems.push({ path: '/monitoring/http', message: 'must be a mapping', hint: 'http: { port: 41414, host: 127.0.0.1 }' });
    return {};
  }
  checkKeys(value.http, ['port', 'host', 'tap', 'token'], '/monitoring/http', 'monitoring.http key', problems);
  const port = numberOf(value.http.port ?? 41414);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push({ path: '/monitoring/http/port', message: 'must be a port number from 0 to 65535' });
  const host = value.http.host ?? '127.0.0.1';
  if (typeof host !== 'string') problems.push({ path: '/monitoring/http/host', message: 'must be an address string' });
  const tap = value.http.tap ?? false;
  if (typeof tap !== 'boolean') problems.push({ path: '/monitoring/http/tap', message: 'must be true or false', hint: 'tap: true serves GET /tap for `sluice tap`' });
  const token = value.http.token ?? '';
  if (typeof token !== 'string') problems.push({ path: '/monitoring/http/token', message: 'must be a string', hint: 'token: ${SLUICE_MONITORING_TOKEN} (keep it out of the file)' });
  return { http: { port, host: typeof host === 'string' ? host : '127.0.0.1', tap: tap === true, ...(typeof token === 'string' && token !== '' ? { token } : {}) } };
}

function checkKeys(object: Json, allowed: string[], at: string, what: string, problems: Problem[]): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const guess = closest(key, allowed);
    problems.push({ path: `${at}/${key}`, message: `unknown ${what} '${key}'`, hint: guess ? `did you mean '${guess}'?` : `allowed: ${allowed.join(', ')}` });
  }
}

/**
 * Which agents' sections and components have an error, indexed from a growing problem list as it
 * is asked: each problem is read once, where scanning the list per reference was quadratic in
 * the size of the file.
 */
class ErroredComponents {
  private readonly keys = new Set<string>();
  private scanned = 0;

  /** True when a problem so far is at or under `/agents/<key>` (`a1/channels` or `a1/channels/c1`, pointer-escaped). */
  has(problems: readonly Problem[], key: string): boolean {
    for (; this.scanned < problems.length; this.scanned++) {
      const problem = problems[this.scanned]!;
      if (problem.severity === 'warning' || !problem.path.startsWith('/agents/')) continue;
      const [, , agent, section, component] = problem.path.split('/', 5);
      if (section === undefined) continue;
      this.keys.add(`${agent}/${section}`);
      if (component !== undefined) this.keys.add(`${agent}/${section}/${component}`);
    }
    return this.keys.has(key);
  }
}

class AgentValidator {
  private readonly base: string;
  private readonly claims = new Map<string, string>();
  private readonly channelConfigs = new Map<string, Json>();

  constructor(
    private readonly name: string,
    private readonly value: unknown,
    private readonly lookup: ComponentLookup,
    private readonly raw: RawTopology,
    private readonly coerce: boolean,
    private readonly problems: Problem[],
    private readonly flumeConfigs?: Map<string, Record<string, unknown>>,
    private readonly suggestions = new SuggestionBudget(),
    private readonly errors = new ErroredComponents(),
  ) {
    this.base = pointer('agents', name);
  }

  run(): AgentModel | undefined {
    const { problems, base } = this;
    if (!isObject(this.value)) {
      problems.push({ path: base, message: 'an agent must be a mapping of sources, channels and sinks' });
      return undefined;
    }
    const agent = this.value;
    checkKeys(agent, AGENT_KEYS, base, 'agent key', problems);
    let drainTimeoutMs = 30_000;
    if (agent.drainTimeout !== undefined) {
      try {
        drainTimeoutMs = parseDuration(String(agent.drainTimeout));
      } catch (error) {
        problems.push({ path: `${base}/drainTimeout`, message: `must be a duration like 30s: ${(error as Error).message}`, hint: 'write drainTimeout: 30s' });
      }
    }
    let maxPendingBytes = DEFAULT_AGENT_MAX_PENDING_BYTES;
    if (agent.maxPendingBytes !== undefined) {
      try {
        maxPendingBytes = parseSize(String(agent.maxPendingBytes));
      } catch {
        problems.push({ path: `${base}/maxPendingBytes`, message: 'must be a size like 96MiB', hint: 'use a number with B, KiB, MiB, GiB, or 0 for no limit' });
      }
    }
    const dataDir = typeof agent.dataDir === 'string' ? agent.dataDir : path.join('data', this.name);
    const workers = parseWorkers(agent.workers, this.coerce, `${base}/workers`, problems);
    const channels = this.section(agent, 'channels', (n, v, p) => this.channel(n, v, p));
    const sources = this.section(agent, 'sources', (n, v, p) => this.source(n, v, p, channels));
    const sinks = this.section(agent, 'sinks', (n, v, p) => this.sink(n, v, p, channels));
    const sinkGroups = this.section(agent, 'sinkGroups', (n, v, p) => this.group(n, v, p, sinks));
    const stages = this.section(agent, 'stages', (n, v, p) => this.stage(n, v, p, channels));
    if (Object.keys(channels).length === 0 && !this.errors.has(this.problems, `${pointerSegment(this.name)}/channels`)) {
      problems.push({ path: `${base}/channels`, message: 'the agent has no channel', hint: 'add at least one channel, e.g. channels: { c1: { type: memory } }' });
    }
    if (Object.keys(sources).length === 0 && Object.keys(sinks).length === 0) {
      problems.push({ path: base, message: 'the agent has neither a source nor a sink', hint: 'add sources and sinks that use its channels' });
    }
    this.checkUnconnected(channels, sources, sinks, stages);
    this.checkGroupMembership(sinkGroups);
    return { name: this.name, drainTimeoutMs, dataDir, workers, maxPendingBytes, sources, channels, sinks, sinkGroups, stages };
  }

  private section<T>(agent: Json, key: string, build: (name: string, value: Json, path: string) => T | undefined): Record<string, T> {
    // No prototype: a component named `constructor`, `toString` or `__proto__` is just a name.
    const out = Object.create(null) as Record<string, T>;
    const section = agent[key];
    if (section === undefined || section === null) return out;
    if (!isObject(section)) {
      this.problems.push({ path: `${this.base}/${key}`, message: `must be a mapping of ${key} by name` });
      return out;
    }
    for (const [name, value] of Object.entries(section)) {
      const path = `${this.base}/${key}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!isObject(value)) {
        this.problems.push({ path, message: 'must be a mapping with at least a type', hint: `${name}: { type: ... }` });
        continue;
      }
      const built = build(name, value, path);
      if (built !== undefined) out[name] = built;
    }
    return out;
  }

  /** Resolves the definition and validates the config of one typed component. */
  private component(kind: ComponentKind, value: Json, path: string, reserved: string[], name: string, scope: CheckScope = {}): ComponentModel | undefined {
    const type = value.type;
    if (typeof type !== 'string' || type === '') {
      this.problems.push({ path: `${path}/type`, message: `${kind} type is missing`, hint: `known ${kind} types: ${this.lookup.types(kind).join(', ')}` });
      return undefined;
    }
    const definition = this.lookup.find(kind, type);
    const conflict = definition ? undefined : this.lookup.describeMissing?.(kind, type);
    if (conflict) {
      this.problems.push({ path: `${path}/type`, message: conflict, hint: 'use package#type to choose one plugin\'s component' });
      return undefined;
    }
    if (!definition) {
      const flumeType = this.raw.flume?.get(path)?.flumeType;
      if (flumeType !== undefined) {
        this.problems.push({ path: `${path}/type`, ...flumeTypeProblem(kind, flumeType, type, this.lookup) });
        return undefined;
      }
      const guess = closest(type, this.lookup.types(kind));
      this.problems.push({
        path: `${path}/type`,
        message: `unknown ${kind} type '${type}'`,
        hint: guess ? `did you mean '${guess}'?` : `known ${kind} types: ${this.lookup.types(kind).join(', ') || 'none'}; a plugin's types need its package in plugins:`,
      });
      return undefined;
    }
    const config = this.configOf(definition, value, path, reserved);
    const before = this.problems.length;
    const validated = validateComponentConfig(definition, config, path, this.problems, this.coerce);
    // check() and resources() only ever see a config that passed the schema (a directory given as
    // a mapping must be reported, not crash the validator).
    if (this.problems.length === before) {
      this.check(definition, validated, path, scope);
      this.claim(definition, validated, path);
    }
    return { name, type, config: validated };
  }

  /** Records the ports and directories a component claims; a clash is a problem. */
  private claim(definition: AnyComponentDefinition, config: Json, path: string): void {
    let claimed: ClaimedResource[];
    try {
      claimed = definition.resources?.(config) ?? [];
    } catch (error) {
      this.problems.push({ path, message: `${definition.kind} type '${definition.type}' failed to list its resources: ${(error as Error)?.message ?? String(error)}`, hint: 'this is a bug in the component (resources() must not throw); report it to its authors' });
      return;
    }
    for (const resource of claimed) {
      const other = this.claims.get(resource.id);
      if (other) this.problems.push({ path: `${path}/${resource.key}`, message: `${resource.id} is already used by ${other}`, hint: 'give each component its own port or directory' });
      else this.claims.set(resource.id, path);
    }
  }

  /** Adds what the component's own `check` finds (it only sees configs that passed the schema). */
  private check(definition: AnyComponentDefinition, config: Json, path: string, scope: CheckScope): void {
    if (!definition.check) return;
    let found: Problem[];
    try {
      found = definition.check(config, scope);
    } catch (error) {
      // The contract says check() never throws; a plugin that does must not hide the other problems.
      this.problems.push({ path, message: `${definition.kind} type '${definition.type}' failed to check its config: ${(error as Error)?.message ?? String(error)}`, hint: 'this is a bug in the component (check() must not throw); report it to its authors' });
      return;
    }
    for (const problem of found) this.problems.push({ ...problem, path: `${path}${problem.path}` });
  }

  private configOf(definition: AnyComponentDefinition, value: Json, path: string, reserved: string[]): Json {
    const flume = this.raw.flume?.get(path);
    if (flume) {
      const config = translateFlumeComponent(definition, flume, path, this.problems);
      this.flumeConfigs?.set(path, config);
      return config;
    }
    const config: Json = {};
    for (const [key, item] of Object.entries(value)) if (!reserved.includes(key)) config[key] = item;
    return config;
  }

  private channel(name: string, value: Json, path: string): ChannelModel | undefined {
    const model = this.component('channel', value, path, RESERVED.channel, name);
    if (model) this.channelConfigs.set(name, model.config as Json);
    return model;
  }

  private source(name: string, value: Json, path: string, channels: Record<string, ChannelModel>): SourceModel | undefined {
    const model = this.component('source', value, path, RESERVED.source, name);
    const targets = value.channels;
    let channelNames: string[] = [];
    if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string')) {
      this.problems.push({ path: `${path}/channels`, message: 'a source needs a list of channels', hint: 'channels: [c1]' });
    } else {
      channelNames = targets as string[];
      targets.forEach((target, i) => this.requireChannel(String(target), `${path}/channels/${i}`, channels));
      if (new Set(channelNames).size !== channelNames.length) this.problems.push({ path: `${path}/channels`, message: 'lists a channel twice' });
    }
    const interceptors: ComponentModel[] = [];
    if (value.interceptors !== undefined) {
      if (!Array.isArray(value.interceptors)) {
        this.problems.push({ path: `${path}/interceptors`, message: 'must be a list', hint: 'interceptors: [{ type: timestamp }]' });
      } else {
        value.interceptors.forEach((entry, i) => {
          const ipath = `${path}/interceptors/${i}`;
          if (!isObject(entry)) return this.problems.push({ path: ipath, message: 'must be a mapping with a type' });
          const built = this.component('interceptor', entry, ipath, ['type', 'name'], typeof entry.name === 'string' ? entry.name : `${name}-i${i}`);
          if (built) interceptors.push(built);
          return undefined;
        });
      }
    }
    let selector: ComponentModel | undefined = { name: `${name}-selector`, type: 'replicating', config: { optional: [] } };
    if (value.selector !== undefined) {
      if (!isObject(value.selector)) {
        this.problems.push({ path: `${path}/selector`, message: 'must be a mapping with a type', hint: 'selector: { type: multiplexing, header: tier, mapping: { gold: [c1] } }' });
      } else {
        selector = this.component('selector', { type: 'replicating', ...value.selector }, `${path}/selector`, ['type'], `${name}-selector`);
        for (const [key, referenced] of selectorChannels(selector?.config)) {
          if (!channelNames.includes(referenced)) this.problems.push({ path: `${path}/selector/${key}`, message: `channel '${referenced}' is not one of this source's channels`, hint: `add it to channels: [${nameList([...channelNames, referenced])}]` });
        }
      }
    }
    if (model) this.checkBatchSize(model, channelNames, path, channelNames);
    if (!model || !selector) return undefined;
    return { ...model, channels: channelNames, interceptors, selector };
  }

  private sink(name: string, value: Json, path: string, channels: Record<string, ChannelModel>): SinkModel | undefined {
    const model = this.component('sink', value, path, RESERVED.sink, name);
    const channel = value.channel;
    if (typeof channel !== 'string' || channel === '') {
      const hint = Array.isArray(value.channels) ? 'a sink reads from exactly one channel: write channel: <name> (singular)' : 'channel: c1';
      this.problems.push({ path: `${path}/channel`, message: 'a sink needs the channel it drains', hint });
    } else {
      this.requireChannel(channel, `${path}/channel`, channels);
    }
    let deadLetter: SinkModel['deadLetter'];
    if (value.deadLetter !== undefined) {
      const dl = value.deadLetter;
      if (!isObject(dl) || typeof dl.channel !== 'string') {
        this.problems.push({ path: `${path}/deadLetter`, message: 'must be { channel, after }', hint: 'deadLetter: { channel: rejected, after: 3 }' });
      } else {
        checkKeys(dl, ['channel', 'after'], `${path}/deadLetter`, 'deadLetter key', this.problems);
        this.requireChannel(dl.channel, `${path}/deadLetter/channel`, channels);
        if (dl.channel === channel) this.problems.push({ path: `${path}/deadLetter/channel`, message: 'must differ from the channel the sink drains' });
        const after = numberOf(dl.after ?? 1);
        if (!Number.isInteger(after) || after < 1) this.problems.push({ path: `${path}/deadLetter/after`, message: 'must be a whole number of failed deliveries, at least 1' });
        deadLetter = { channel: dl.channel, after };
      }
    }
    if (model && typeof channel === 'string') this.checkBatchSize(model, [channel], path);
    if (!model || typeof channel !== 'string') return undefined;
    return deadLetter ? { ...model, channel, deadLetter } : { ...model, channel };
  }

  private stage(name: string, value: Json, path: string, channels: Record<string, ChannelModel>): StageModel | undefined {
    const model = this.component('stage', value, path, RESERVED.stage, name);
    const input = value.channel;
    if (typeof input !== 'string' || input === '') {
      this.problems.push({ path: `${path}/channel`, message: 'a stage needs the channel it takes from', hint: 'channel: raw' });
    } else {
      this.requireChannel(input, `${path}/channel`, channels);
    }
    const targets = value.channels;
    let outputs: string[] = [];
    if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === 'string')) {
      this.problems.push({ path: `${path}/channels`, message: 'a stage needs a list of channels for its results', hint: 'channels: [results]' });
    } else {
      outputs = targets as string[];
      outputs.forEach((target, i) => {
        this.requireChannel(target, `${path}/channels/${i}`, channels);
        if (target === input) this.problems.push({ path: `${path}/channels/${i}`, message: `the stage would put its results into its own input channel '${target}'`, hint: 'send results to another channel' });
      });
      if (new Set(outputs).size !== outputs.length) this.problems.push({ path: `${path}/channels`, message: 'lists a channel twice' });
    }
    let deadLetter: StageModel['deadLetter'];
    if (value.deadLetter !== undefined) {
      const dl = value.deadLetter;
      if (!isObject(dl) || typeof dl.channel !== 'string') {
        this.problems.push({ path: `${path}/deadLetter`, message: 'must be { channel }', hint: 'deadLetter: { channel: rejected }' });
      } else {
        checkKeys(dl, ['channel'], `${path}/deadLetter`, 'deadLetter key', this.problems);
        this.requireChannel(dl.channel, `${path}/deadLetter/channel`, channels);
        if (dl.channel === input) this.problems.push({ path: `${path}/deadLetter/channel`, message: 'must differ from the channel the stage takes from' });
        deadLetter = { channel: dl.channel };
      }
    }
    if (model && typeof input === 'string') this.checkBatchSize(model, [input, ...outputs], path, outputs);
    if (!model || typeof input !== 'string' || outputs.length === 0) return undefined;
    return deadLetter ? { ...model, channel: input, channels: outputs, deadLetter } : { ...model, channel: input, channels: outputs };
  }

  private group(name: string, value: Json, path: string, sinks: Record<string, SinkModel>): SinkGroupModel | undefined {
    checkKeys(value, ['sinks', 'processor'], path, 'sink group key', this.problems);
    const members = value.sinks;
    let names: string[] = [];
    if (!Array.isArray(members) || members.length === 0 || !members.every((m) => typeof m === 'string')) {
      this.problems.push({ path: `${path}/sinks`, message: 'a sink group needs a list of sinks', hint: 'sinks: [k1, k2]' });
    } else {
      names = members as string[];
      names.forEach((sink, i) => {
        if (!Object.hasOwn(sinks, sink) && !this.hasError('sinks', sink)) {
          const guess = closest(sink, Object.keys(sinks), this.suggestions);
          this.problems.push({ path: `${path}/sinks/${i}`, message: `no sink named '${sink}'`, hint: guess ? `did you mean '${guess}'?` : 'define it under sinks:' });
        }
      });
    }
    const processorValue = isObject(value.processor) ? value.processor : { type: 'default' };
    // The processor's check sees the members only when the list itself is valid (else that is the problem).
    const processor = this.component('processor', processorValue, `${path}/processor`, ['type'], `${name}-processor`, names.length > 0 ? { sinks: names } : {});
    if (!processor) return undefined;
    return { name, sinks: names, processor };
  }

  /** True when the component `name` of `section` already has an error (so a reference to it is not reported again). */
  private hasError(section: string, name: string): boolean {
    return this.errors.has(this.problems, `${pointerSegment(this.name)}/${section}/${pointerSegment(name)}`);
  }

  private requireChannel(channel: string, path: string, channels: Record<string, ChannelModel>): void {
    if (Object.hasOwn(channels, channel)) return;
    if (this.hasError('channels', channel)) return;
    const guess = closest(channel, Object.keys(channels), this.suggestions);
    this.problems.push({ path, message: `no channel named '${channel}'`, hint: guess ? `did you mean '${guess}'?` : `channels defined: ${nameList(Object.keys(channels)) || 'none'}` });
  }

  /**
   * A batch must fit a channel's transactionCapacity; a batch put into a channel (by a source or
   * a stage, listed in `putInto`) must also fit its capacity, or no put could ever succeed.
   */
  private checkBatchSize(model: ComponentModel, channelNames: string[], path: string, putInto: readonly string[] = []): void {
    const batchSize = model.config.batchSize;
    if (typeof batchSize !== 'number') return;
    for (const channel of channelNames) {
      const config = this.channelConfigs.get(channel);
      const capacity = config?.transactionCapacity;
      if (typeof capacity === 'number' && batchSize > capacity) {
        this.problems.push({ path: `${path}/batchSize`, message: `batchSize ${batchSize} is larger than channel '${channel}' transactionCapacity ${capacity}`, hint: `lower batchSize or raise transactionCapacity of '${channel}' to at least ${batchSize}` });
      } else if (putInto.includes(channel) && typeof config?.capacity === 'number' && batchSize > config.capacity) {
        // A batch larger than the whole channel never fits: every put waits keepAlive and fails, for ever.
        this.problems.push({ path: `${path}/batchSize`, message: `batchSize ${batchSize} is larger than channel '${channel}' capacity ${config.capacity}: no batch could ever fit`, hint: `lower batchSize or raise capacity of '${channel}' to at least ${batchSize}` });
      }
    }
  }

  private checkUnconnected(channels: Record<string, ChannelModel>, sources: Record<string, SourceModel>, sinks: Record<string, SinkModel>, stages: Record<string, StageModel>): void {
    const used = new Set<string>();
    for (const stage of Object.values(stages)) {
      [stage.channel, ...stage.channels].forEach((c) => used.add(c));
      if (stage.deadLetter) used.add(stage.deadLetter.channel);
    }
    for (const source of Object.values(sources)) source.channels.forEach((c) => used.add(c));
    for (const sink of Object.values(sinks)) {
      used.add(sink.channel);
      if (sink.deadLetter) used.add(sink.deadLetter.channel);
    }
    for (const name of Object.keys(channels)) {
      if (!used.has(name)) this.problems.push({ path: `${this.base}/channels/${name}`, message: `channel '${name}' is not used by any source, sink or stage`, hint: 'connect it (a source\'s channels, a sink\'s or a stage\'s channel) or delete it' });
    }
  }

  private checkGroupMembership(groups: Record<string, SinkGroupModel>): void {
    const owner = new Map<string, string>();
    for (const group of Object.values(groups)) {
      for (const sink of group.sinks) {
        const other = owner.get(sink);
        if (other) this.problems.push({ path: `${this.base}/sinkGroups/${group.name}/sinks`, message: `sink '${sink}' is already in group '${other}'`, hint: 'a sink belongs to at most one group' });
        else owner.set(sink, group.name);
      }
    }
  }
}

/** Channels a selector config names (multiplexing `mapping`, `default`, `optional`), with their keys. */
function selectorChannels(config: Readonly<Record<string, unknown>> | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (!config) return out;
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string') out.push([key, value]);
    else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${key}/${i}`));
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) visit(v, `${key}/${k}`);
  };
  for (const key of ['mapping', 'default', 'optional']) if (config[key] !== undefined) visit(config[key], key);
  return out;
}

/**
 * Why a type written in a Flume file is not available: a Flume built-in Sluice has no counterpart
 * for, a Java class of someone's Flume plugin, or an unknown alias (with "did you mean").
 */
function flumeTypeProblem(kind: ComponentKind, flumeType: string, type: string, lookup: ComponentLookup): Pick<Problem, 'message' | 'hint'> {
  const written = flumeType.trim();
  const known = lookup.types(kind);
  if (isFlumeBuiltin(kind, written)) {
    return { message: `Flume's ${type} ${kind}${written.toLowerCase() === type ? '' : ` (${written})`} has no Sluice counterpart`, hint: `Sluice ${kind} types: ${known.join(', ')}; see docs/flume-migration.md for what replaces it` };
  }
  if (isJavaClassName(written)) {
    return { message: `${written} is a Flume plugin written in Java; Sluice cannot load JVM classes`, hint: 'port it as an npm plugin (`sluice new plugin`) or remove it' };
  }
  const guess = closest(type, known);
  return { message: `unknown ${kind} type '${written}'`, hint: guess ? `did you mean '${guess}'?` : `known ${kind} types: ${known.join(', ') || 'none'}` };
}

/** Adds the original .properties key to problems on Flume files. */
function withKeys(problems: Problem[], raw: RawTopology): Problem[] {
  if (!raw.flume) return problems;
  return problems.map((problem) => {
    if (problem.key) return problem;
    let at = problem.path;
    while (at) {
      const component = raw.flume!.get(at);
      if (component) {
        const [rest = '', next] = problem.path.slice(at.length).replace(/^\//, '').split('/');
        const keys = Object.keys(component.properties);
        // Sink keys often carry a namespace Sluice drops (hdfs.path -> path, s3.key -> key); a map
        // entry such as /priority/k1 is one dotted key (priority.k1).
        const original = rest === '' ? undefined
          : next !== undefined && `${rest}.${next}` in component.properties ? `${rest}.${next}`
          : rest in component.properties || ['type', 'channels', 'channel'].includes(rest) ? rest
            : keys.find((k) => camelCaseKey(k) === rest) ?? keys.find((k) => k.includes('.') && camelCaseKey(k.slice(k.indexOf('.') + 1)) === rest);
        return { ...problem, key: original ? `${component.prefix}${original}` : component.prefix.replace(/\.$/, '') };
      }
      at = at.slice(0, at.lastIndexOf('/'));
    }
    return problem;
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value as object)) deepFreeze(item);
  }
  return value;
}

/** Most worker processes one agent may ask for; far above any core count Sluice is run on. */
const MAX_WORKERS = 256;

/**
 * `workers:` of an agent: a positive integer, or `auto` for `os.availableParallelism()`; absent
 * means 1 (one process, no worker supervision). A Flume .properties file may give the number as text.
 */
function parseWorkers(value: unknown, coerce: boolean, at: string, problems: Problem[]): number {
  if (value === undefined) return 1;
  if (value === 'auto') return os.availableParallelism();
  const number = typeof value === 'string' && coerce && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= 1 && number <= MAX_WORKERS) return number;
  problems.push({ path: at, message: `must be an integer from 1 to ${MAX_WORKERS}, or auto (one worker per core); got ${JSON.stringify(value)}`, hint: 'workers: 2, or workers: auto' });
  return 1;
}
