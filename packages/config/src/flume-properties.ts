import type { ComponentKind } from '@sluice/core';
import { readJavaProperties, type PropertyEntry } from './java-properties.js';
import { sluiceTypeForFlume } from './flume-aliases.js';
import { SubstitutionBudget, substituteFlumeValue } from './flume-substitution.js';
import { KeyPrefixIndex } from './key-prefix-index.js';
import { nameList } from './name-list.js';
import { pointer, type Problem } from './problem.js';
import type { FlumeComponentProperties, RawTopology } from './raw-topology.js';

const LISTS = { sources: 'source', channels: 'channel', sinks: 'sink' } as const;
const SECTIONS = ['sources', 'channels', 'sinks', 'sinkgroups', 'configfilters'];

/**
 * Translates a Flume `.properties` file into the YAML topology shape, reading it as Flume does.
 * Every agent named by an `<agent>.sources|channels|sinks|sinkgroups` key becomes an entry under
 * `agents`; each problem's path starts with its agent's pointer (`/agents/a1/...`) so that
 * `-n a1` can leave the other agents' problems out. What Flume ignores is a warning here, never a
 * silent drop: keys of no agent, keys of components not listed, keys defined twice (the last wins).
 * Values are trimmed and `${...}` is substituted (see {@link substituteFlumeValue}).
 */
export function fromFlumeProperties(text: string, problems: Problem[], file?: string, env: NodeJS.ProcessEnv = process.env): RawTopology {
  const parsed = readJavaProperties(text);
  const agentNames = new Set<string>();
  for (const { key } of parsed.entries) {
    const match = /^([^.]+)\.(sources|channels|sinks|sinkgroups|configfilters)$/.exec(key);
    if (match) agentNames.add(match[1]!);
  }
  const agentOf = (key: string): string | undefined => {
    const name = key.split('.')[0]!;
    return agentNames.has(name) ? name : undefined;
  };
  const at = (key: string): string => {
    const agent = agentOf(key);
    return agent === undefined ? '' : pointer('agents', agent);
  };
  for (const { line, text: source } of parsed.malformed) {
    problems.push({ path: '', message: `line ${line}: malformed \\uXXXX escape in '${source.slice(0, 60)}'`, hint: 'Java refuses the whole file; write four hex digits after \\u, or \\\\u for a literal backslash' });
  }
  for (const { key, lines } of parsed.duplicates) {
    problems.push({ path: at(key), key, severity: 'warning', message: `is defined ${lines.length} times (lines ${nameList(lines.map(String))}); the last one wins, as in Flume`, hint: 'delete the definitions that do not count' });
  }
  const values = new Map(parsed.entries.map((e) => [e.key, e.value.trim()]));
  const envFilters = configFilters(agentNames, values, problems);
  const budget = new SubstitutionBudget();
  const entries: PropertyEntry[] = parsed.entries.map((entry) => {
    const agent = agentOf(entry.key);
    const value = substituteFlumeValue(entry.value.trim(), values, env, (message, hint, severity) => problems.push({ path: at(entry.key), key: entry.key, message, ...(hint ? { hint } : {}), ...(severity ? { severity } : {}) }), 0, agent === undefined ? undefined : envFilters.get(agent), budget);
    return { ...entry, value };
  });
  for (const { key } of entries) {
    const agent = agentOf(key);
    const section = key.split('.')[1];
    if (agent === undefined) {
      problems.push({ path: '', key, severity: 'warning', message: 'belongs to no agent of this file; Flume ignores it', hint: `agents in this file: ${nameList(agentNames) || 'none'}; agent keys look like a1.sources = r1` });
    } else if (section === undefined || !SECTIONS.includes(section)) {
      problems.push({ path: pointer('agents', agent), key, severity: 'warning', message: `is not a key Flume reads (an agent's keys start with ${SECTIONS.map((s) => `${agent}.${s}`).join(', ')}); Flume ignores it` });
    }
  }
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const index = new KeyPrefixIndex(entries);
  const flume = new Map<string, FlumeComponentProperties>();
  const agents: Record<string, unknown> = {};
  for (const agent of agentNames) {
    const out: Record<string, Record<string, unknown>> = { sources: {}, channels: {}, sinks: {}, sinkGroups: {} };
    for (const [list, kind] of Object.entries(LISTS) as [keyof typeof LISTS, ComponentKind][]) {
      const listKey = `${agent}.${list}`;
      const names = splitFlumeNames(byKey.get(listKey)?.value, listKey, pointer('agents', agent, list), problems);
      const seen = new Set<string>();
      for (const name of names) {
        if (seen.has(name)) {
          problems.push({ path: pointer('agents', agent, list), key: listKey, message: `'${name}' is listed twice`, hint: 'list each component once' });
          continue;
        }
        seen.add(name);
        const prefix = `${listKey}.${name}.`;
        const own = index.subset(prefix);
        const path = pointer('agents', agent, list, name);
        out[list]![name] = translateComponent(kind, own, prefix, path, flume, problems);
      }
      for (const orphan of index.orphans(`${listKey}.`, seen)) {
        problems.push({ path: pointer('agents', agent, list, orphan), key: `${listKey}.${orphan}`, severity: 'warning', message: `'${orphan}' is configured but not listed in ${listKey}; Flume ignores its keys`, hint: `add it to ${listKey} or delete its keys` });
      }
    }
    const groupsKey = `${agent}.sinkgroups`;
    const groups = splitFlumeNames(byKey.get(groupsKey)?.value, groupsKey, pointer('agents', agent, 'sinkGroups'), problems);
    for (const group of groups) {
      const own = index.subset(`${groupsKey}.${group}.`);
      const processorProps = subset(own, 'processor.');
      const processorPath = pointer('agents', agent, 'sinkGroups', group, 'processor');
      const { type, ...rest } = processorProps;
      flume.set(processorPath, { prefix: `${groupsKey}.${group}.processor.`, properties: rest, ...(type ? { flumeType: type } : {}) });
      for (const key of Object.keys(own)) {
        if (key !== 'sinks' && !key.startsWith('processor.')) problems.push({ path: pointer('agents', agent, 'sinkGroups', group), key: `${groupsKey}.${group}.${key}`, severity: 'warning', message: 'is not a sink group key (sinks, processor.*); Flume ignores it', ...(key.startsWith('policy.') ? { hint: `write processor.${key.slice('policy.'.length)}` } : {}) });
      }
      const sinks = splitFlumeNames(own.sinks, `${groupsKey}.${group}.sinks`, pointer('agents', agent, 'sinkGroups', group, 'sinks'), problems);
      out.sinkGroups![group] = { sinks, processor: { type: sluiceTypeForFlume('processor', type ?? 'default') } };
    }
    for (const orphan of index.orphans(`${groupsKey}.`, new Set(groups))) {
      problems.push({ path: pointer('agents', agent, 'sinkGroups', orphan), key: `${groupsKey}.${orphan}`, severity: 'warning', message: `'${orphan}' is configured but not listed in ${groupsKey}; Flume ignores its keys`, hint: `add it to ${groupsKey} or delete its keys` });
    }
    agents[agent] = out;
  }
  if (agentNames.size === 0) {
    problems.push({ path: '', message: 'no agent found: a Flume file needs keys like a1.sources, a1.channels and a1.sinks', hint: 'check the file is a Flume agent configuration' });
  }
  return { data: { agents }, format: 'properties', flume, ...(file ? { file } : {}) };
}

/**
 * The config filters (`a1.configfilters = f1`, `a1.configfilters.f1.type = env`) of each agent
 * that Sluice runs: type `env`, which `${f1['KEY']}` reads from the environment. Flume's `external`
 * (a script) and `hadoop` (a credential store) types, and custom classes, are errors.
 */
function configFilters(agents: ReadonlySet<string>, values: ReadonlyMap<string, string>, problems: Problem[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const agent of agents) {
    const names = (values.get(`${agent}.configfilters`) ?? '').split(/[\s,]+/).filter(Boolean);
    const env = new Set<string>();
    for (const name of names) {
      const key = `${agent}.configfilters.${name}.type`;
      const type = values.get(key);
      if (type !== undefined && /^(env|org\.apache\.flume\.configfilter\.EnvironmentVariableConfigFilter)$/i.test(type)) env.add(name);
      else problems.push({ path: pointer('agents', agent, 'configfilters', name), key, message: type === undefined ? 'config filter type is missing' : `config filter type '${type}' is not supported: Sluice reads secrets from environment variables only`, hint: `set ${key} = env and export the values, or use \${env:NAME}` });
    }
    out.set(agent, env);
  }
  return out;
}

function translateComponent(kind: ComponentKind, own: Record<string, string>, prefix: string, path: string, flume: Map<string, FlumeComponentProperties>, problems: Problem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties: Record<string, string> = {};
  let flumeType: string | undefined;
  for (const [key, value] of Object.entries(own)) {
    if (key === 'type') {
      flumeType = value;
      out.type = sluiceTypeForFlume(kind, value);
      if (kind === 'channel' && out.type === 'jdbc') {
        // Flume's JDBC channel (an embedded Derby database) is a durable channel: so is ours.
        out.type = 'file';
        problems.push({ path: `${path}/type`, key: `${prefix}type`, severity: 'warning', message: `${value.trim()}: Flume's JDBC channel (embedded Derby) runs as Sluice's durable file channel; its db.* and connection keys are ignored`, hint: 'set type = file (dataDirs = a directory) to say so' });
      }
    } else if (kind === 'source' && key === 'channels') out.channels = splitFlumeNames(value, `${prefix}channels`, `${path}/channels`, problems);
    else if (kind === 'sink' && key === 'channel') out.channel = value.trim();
    else if (kind === 'source' && (key === 'interceptors' || key.startsWith('interceptors.') || key.startsWith('selector.'))) continue;
    else properties[key] = value;
  }
  if (kind === 'source') {
    const ownIndex = new KeyPrefixIndex(Object.entries(own).map(([key, value]) => ({ key, value })));
    const interceptors: Record<string, unknown>[] = [];
    const names = splitFlumeNames(own.interceptors, `${prefix}interceptors`, `${path}/interceptors`, problems);
    names.forEach((name, i) => {
      const iprefix = `${prefix}interceptors.${name}.`;
      const { type, ...rest } = ownIndex.subset(`interceptors.${name}.`);
      flume.set(`${path}/interceptors/${i}`, { prefix: iprefix, properties: rest, ...(type ? { flumeType: type } : {}) });
      interceptors.push({ type: type === undefined ? undefined : sluiceTypeForFlume('interceptor', type), name });
    });
    for (const orphan of ownIndex.orphans('interceptors.', new Set(names))) {
      problems.push({ path: `${path}/interceptors`, key: `${prefix}interceptors.${orphan}`, severity: 'warning', message: `interceptor '${orphan}' is configured but not listed in ${prefix}interceptors; Flume ignores its keys`, hint: `add it to ${prefix}interceptors or delete its keys` });
    }
    if (interceptors.length > 0) out.interceptors = interceptors;
    const selectorProps = ownIndex.subset('selector.');
    if (Object.keys(selectorProps).length > 0) {
      const { type, ...rest } = selectorProps;
      flume.set(`${path}/selector`, { prefix: `${prefix}selector.`, properties: rest, ...(type ? { flumeType: type } : {}) });
      out.selector = { type: sluiceTypeForFlume('selector', type ?? 'replicating') };
    }
  }
  flume.set(path, { prefix, properties, ...(flumeType ? { flumeType } : {}) });
  return out;
}

/**
 * Splits a Flume name list as Flume does (on whitespace). A comma is the classic mistake: Flume
 * reads `c1, c2` as the names `c1,` and `c2`, so the comma is reported and the intended names kept.
 */
function splitFlumeNames(value: string | undefined, key: string, path: string, problems: Problem[]): string[] {
  if (value === undefined) return [];
  const names = value.trim().split(/\s+/).filter(Boolean);
  if (!value.includes(',')) return names;
  const intended = value.split(/[\s,]+/).filter(Boolean);
  problems.push({ path, key, message: `'${value.trim()}' separates names with commas; Flume lists are separated by spaces, so Flume reads ${names.map((n) => `'${n}'`).join(' and ')}`, hint: `write ${key} = ${intended.join(' ')}` });
  return intended;
}

function subset(properties: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}
