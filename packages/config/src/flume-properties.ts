import type { ComponentKind } from '@sluice/core';
import { parseJavaProperties, type PropertyEntry } from './java-properties.js';
import { sluiceTypeForFlume } from './flume-aliases.js';
import { pointer, type Problem } from './problem.js';
import type { FlumeComponentProperties, RawTopology } from './raw-topology.js';

const LISTS = { sources: 'source', channels: 'channel', sinks: 'sink' } as const;

/**
 * Translates a Flume `.properties` file into the YAML topology shape. Every agent named by an
 * `<agent>.sources|channels|sinks|sinkgroups` key becomes an entry under `agents`. Problems that
 * only the Flume syntax can have (a component configured but not listed, a list naming a
 * component with no type) are reported with their keys.
 */
export function fromFlumeProperties(text: string, problems: Problem[], file?: string): RawTopology {
  const entries = parseJavaProperties(text);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const flume = new Map<string, FlumeComponentProperties>();
  const agentNames = new Set<string>();
  for (const { key } of entries) {
    const match = /^([^.]+)\.(sources|channels|sinks|sinkgroups|configfilters)$/.exec(key);
    if (match) agentNames.add(match[1]!);
  }
  const agents: Record<string, unknown> = {};
  for (const agent of agentNames) {
    const out: Record<string, Record<string, unknown>> = { sources: {}, channels: {}, sinks: {}, sinkGroups: {} };
    for (const [list, kind] of Object.entries(LISTS) as [keyof typeof LISTS, ComponentKind][]) {
      const listKey = `${agent}.${list}`;
      const names = splitList(byKey.get(listKey)?.value);
      const seen = new Set<string>();
      for (const name of names) {
        if (seen.has(name)) {
          problems.push({ path: pointer('agents', agent, list), key: listKey, message: `'${name}' is listed twice`, hint: 'list each component once' });
          continue;
        }
        seen.add(name);
        const prefix = `${listKey}.${name}.`;
        const own = collect(entries, prefix);
        const path = pointer('agents', agent, list, name);
        out[list]![name] = translateComponent(kind, own, prefix, path, flume, problems);
      }
      for (const orphan of orphans(entries, `${listKey}.`, seen)) {
        problems.push({ path: pointer('agents', agent, list, orphan), key: `${listKey}.${orphan}`, message: `'${orphan}' is configured but not listed in ${listKey}`, hint: `add it to ${listKey} or delete its keys` });
      }
    }
    const groupsKey = `${agent}.sinkgroups`;
    for (const group of splitList(byKey.get(groupsKey)?.value)) {
      const own = collect(entries, `${groupsKey}.${group}.`);
      const processorProps = subset(own, 'processor.');
      const processorPath = pointer('agents', agent, 'sinkGroups', group, 'processor');
      const { type, ...rest } = processorProps;
      flume.set(processorPath, { prefix: `${groupsKey}.${group}.processor.`, properties: rest });
      out.sinkGroups![group] = { sinks: splitList(own.sinks), processor: { type: (type ?? 'default').toLowerCase() } };
    }
    agents[agent] = out;
  }
  if (agentNames.size === 0) {
    problems.push({ path: '', message: 'no agent found: a Flume file needs keys like a1.sources, a1.channels and a1.sinks', hint: 'check the file is a Flume agent configuration' });
  }
  return { data: { agents }, format: 'properties', flume, ...(file ? { file } : {}) };
}

function translateComponent(kind: ComponentKind, own: Record<string, string>, prefix: string, path: string, flume: Map<string, FlumeComponentProperties>, problems: Problem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties: Record<string, string> = {};
  const interceptorNames = splitList(own.interceptors);
  for (const [key, value] of Object.entries(own)) {
    if (key === 'type') out.type = sluiceTypeForFlume(kind, value);
    else if (kind === 'source' && key === 'channels') out.channels = splitList(value);
    else if (kind === 'sink' && key === 'channel') out.channel = value.trim();
    else if (kind === 'source' && (key === 'interceptors' || key.startsWith('interceptors.') || key.startsWith('selector.'))) continue;
    else properties[key] = value;
  }
  if (out.type === undefined) {
    problems.push({ path: `${path}/type`, key: `${prefix}type`, message: 'type is missing', hint: `set ${prefix}type` });
  }
  if (kind === 'source') {
    const interceptors: Record<string, unknown>[] = [];
    interceptorNames.forEach((name, i) => {
      const iprefix = `${prefix}interceptors.${name}.`;
      const { type, ...rest } = subset(own, `interceptors.${name}.`);
      flume.set(`${path}/interceptors/${i}`, { prefix: iprefix, properties: rest });
      interceptors.push({ type: type === undefined ? undefined : sluiceTypeForFlume('interceptor', type), name });
    });
    if (interceptors.length > 0) out.interceptors = interceptors;
    const selectorProps = subset(own, 'selector.');
    if (Object.keys(selectorProps).length > 0) {
      const { type, ...rest } = selectorProps;
      flume.set(`${path}/selector`, { prefix: `${prefix}selector.`, properties: rest });
      out.selector = { type: (type ?? 'replicating').toLowerCase() };
    }
  }
  flume.set(path, { prefix, properties });
  return out;
}

function splitList(value: string | undefined): string[] {
  return value === undefined ? [] : value.trim().split(/\s+/).filter(Boolean);
}

function subset(properties: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}

function collect(entries: readonly PropertyEntry[], prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of entries) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}

function orphans(entries: readonly PropertyEntry[], prefix: string, listed: Set<string>): string[] {
  const found = new Set<string>();
  for (const { key } of entries) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length).split('.')[0]!;
    if (!listed.has(name)) found.add(name);
  }
  return [...found];
}
