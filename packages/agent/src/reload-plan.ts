import type { AgentModel } from '@sluice/config';

/** What a reload restarts, by component name; everything not listed keeps running untouched. */
export interface ReloadPlan {
  /** Channels to stop (removed or changed). */
  stopChannels: string[];
  /** Channels to create and start (added or changed). */
  startChannels: string[];
  /** Sink units (a group name, or a lone sink's name) to stop. */
  stopSinkUnits: string[];
  /** Sink units to create and start. */
  startSinkUnits: string[];
  stopSources: string[];
  startSources: string[];
  /** Stages to stop (removed, changed, or using a restarted channel). */
  stopStages: string[];
  /** Stages to create and start. */
  startStages: string[];
  /**
   * Sources whose only change is their interceptors or selector: they keep running (and keep
   * their sockets) and get a new interceptor chain and selector for the next batch.
   */
  rewireSources: string[];
}

/** One sink processor unit: a sink group, or a sink outside any group. */
export interface SinkUnit {
  name: string;
  /** Member sink names, in topology order. */
  sinks: string[];
  /** Null for a lone sink (default processor). */
  group: string | null;
}

/** The sink units of an agent model: every group, then every sink no group claims. */
export function sinkUnits(model: AgentModel): Map<string, SinkUnit> {
  const units = new Map<string, SinkUnit>();
  const grouped = new Set<string>();
  for (const group of Object.values(model.sinkGroups)) {
    units.set(group.name, { name: group.name, sinks: [...group.sinks], group: group.name });
    group.sinks.forEach((s) => grouped.add(s));
  }
  for (const name of Object.keys(model.sinks)) if (!grouped.has(name)) units.set(name, { name, sinks: [name], group: null });
  return units;
}

/**
 * Compares two validated models of one agent and lists what must restart: a component whose own
 * model changed, and everything that depends on a restarted channel (the sources writing to it,
 * the sink units draining it or using it for dead letters, the stages taking from or putting into it). A source whose model and channels are
 * unchanged is not touched, so its listening socket stays open; one whose only change is its
 * interceptors or selector is rewired in place (`rewireSources`) and keeps its socket too.
 */
export function planReload(current: AgentModel, next: AgentModel): ReloadPlan {
  const changedChannels = new Set<string>();
  for (const name of new Set([...Object.keys(current.channels), ...Object.keys(next.channels)])) {
    if (signature(current.channels[name]) !== signature(next.channels[name])) changedChannels.add(name);
  }
  const plan: ReloadPlan = {
    stopChannels: [...changedChannels].filter((n) => n in current.channels),
    startChannels: [...changedChannels].filter((n) => n in next.channels),
    stopSinkUnits: [], startSinkUnits: [], stopSources: [], startSources: [], stopStages: [], startStages: [], rewireSources: [],
  };
  const oldUnits = sinkUnits(current);
  const newUnits = sinkUnits(next);
  const unitSignature = (model: AgentModel, unit: SinkUnit | undefined): string | undefined => unit && signature({
    unit, group: unit.group === null ? null : model.sinkGroups[unit.group], sinks: unit.sinks.map((s) => model.sinks[s]),
  });
  const unitChannels = (model: AgentModel, unit: SinkUnit): string[] => unit.sinks.flatMap((s) => {
    const sink = model.sinks[s]!;
    return sink.deadLetter ? [sink.channel, sink.deadLetter.channel] : [sink.channel];
  });
  for (const name of new Set([...oldUnits.keys(), ...newUnits.keys()])) {
    const before = oldUnits.get(name);
    const after = newUnits.get(name);
    const touchesChanged = (before && unitChannels(current, before).some((c) => changedChannels.has(c))) || (after && unitChannels(next, after).some((c) => changedChannels.has(c)));
    if (unitSignature(current, before) === unitSignature(next, after) && !touchesChanged) continue;
    if (before) plan.stopSinkUnits.push(name);
    if (after) plan.startSinkUnits.push(name);
  }
  const stageChannels = (stage: AgentModel['stages'][string] | undefined): string[] => (stage ? [stage.channel, ...stage.channels, ...(stage.deadLetter ? [stage.deadLetter.channel] : [])] : []);
  for (const name of new Set([...Object.keys(current.stages), ...Object.keys(next.stages)])) {
    const before = current.stages[name];
    const after = next.stages[name];
    const touchesChanged = [...stageChannels(before), ...stageChannels(after)].some((c) => changedChannels.has(c));
    if (signature(before) === signature(after) && !touchesChanged) continue;
    if (before) plan.stopStages.push(name);
    if (after) plan.startStages.push(name);
  }
  for (const name of new Set([...Object.keys(current.sources), ...Object.keys(next.sources)])) {
    const before = current.sources[name];
    const after = next.sources[name];
    const touchesChanged = [...(before?.channels ?? []), ...(after?.channels ?? [])].some((c) => changedChannels.has(c));
    if (signature(before) === signature(after) && !touchesChanged) continue;
    if (before && after && !touchesChanged && signature(sourceCore(before)) === signature(sourceCore(after))) {
      plan.rewireSources.push(name);
      continue;
    }
    if (before) plan.stopSources.push(name);
    if (after) plan.startSources.push(name);
  }
  return plan;
}

/** What a source itself is made of, without its interceptors and selector. */
function sourceCore(source: AgentModel['sources'][string]): unknown {
  return { name: source.name, type: source.type, config: source.config, channels: source.channels };
}

/** True when the plan restarts nothing. */
export function isEmptyPlan(plan: ReloadPlan): boolean {
  return Object.values(plan).every((list: string[]) => list.length === 0);
}

/** JSON with sorted keys, so key order in the file does not count as a change. */
function signature(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}
