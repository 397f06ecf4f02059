import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Document, isMap, isScalar, type Node, type Pair } from 'yaml';
import { isPropertiesFile, readTopology, validateTopology, type ComponentModel, type Problem, type TopologyModel } from '@sluice/config';
import { loadTopology } from '@sluice/agent';
import { reportLoadFailure } from './report-load-failure.js';

/** Options of `sluice migrate`. */
export interface MigrateCommandOptions {
  /** The Flume .properties file. */
  file: string;
  /** Migrate only this agent (`-n`). */
  agent?: string | undefined;
  /** Write the YAML here instead of to `out`. */
  outFile?: string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * `sluice migrate FILE [-n NAME] [--out FILE]`: validates a Flume file like `sluice validate`
 * (errors: listed, exit 1) and writes the equivalent strict YAML topology: each component with the
 * keys its Flume keys translate to (Flume defaults included where they differ from Sluice's), and
 * a comment at each place a warning was raised, so the user can see what Flume ignored.
 */
export async function migrateCommand(options: MigrateCommandOptions): Promise<number> {
  const { file, err } = options;
  if (!isPropertiesFile(file)) {
    err.write(`sluice migrate: ${file} is not a Flume .properties/.conf file; YAML and JSON topologies need no migration\n`);
    return 2;
  }
  try {
    const raw = await readTopology(file, { format: 'properties' });
    const agentOption = options.agent === undefined ? {} : { agent: options.agent };
    const { catalog } = await loadTopology(raw, agentOption);
    const result = validateTopology(raw, catalog, agentOption);
    const yaml = renderMigratedYaml(result.model!, result.flumeConfigs ?? new Map(), result.warnings, path.basename(file));
    if (options.outFile) {
      await writeFile(options.outFile, yaml);
      options.out.write(`${file}: wrote ${options.outFile} (${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'} left as comments)\n`);
    } else {
      options.out.write(yaml);
    }
    return 0;
  } catch (error) {
    return reportLoadFailure(error, file, err);
  }
}

/**
 * The YAML text of a validated Flume topology: `model` gives the typed values, `flumeConfigs`
 * which keys the Flume file set (so schema defaults stay implicit), `warnings` the comments.
 */
export function renderMigratedYaml(model: TopologyModel, flumeConfigs: ReadonlyMap<string, Record<string, unknown>>, warnings: readonly Problem[], source: string): string {
  const agents: Record<string, unknown> = {};
  for (const [name, agent] of Object.entries(model.agents)) {
    const base = `/agents/${pointerSegment(name)}`;
    const pick = (component: ComponentModel, at: string): Record<string, unknown> => ({ type: component.type, ...onlySet(component.config, flumeConfigs.get(at)) });
    const out: Record<string, unknown> = {};
    const sources: Record<string, unknown> = {};
    for (const [sname, source] of Object.entries(agent.sources)) {
      const at = `${base}/sources/${pointerSegment(sname)}`;
      const entry: Record<string, unknown> = { ...pick(source, at), channels: [...source.channels] };
      if (source.interceptors.length > 0) entry.interceptors = source.interceptors.map((i, n) => ({ ...pick(i, `${at}/interceptors/${n}`) }));
      if (flumeConfigs.has(`${at}/selector`)) entry.selector = pick(source.selector, `${at}/selector`);
      sources[sname] = entry;
    }
    const channels: Record<string, unknown> = {};
    for (const [cname, channel] of Object.entries(agent.channels)) channels[cname] = pick(channel, `${base}/channels/${pointerSegment(cname)}`);
    const sinks: Record<string, unknown> = {};
    for (const [kname, sink] of Object.entries(agent.sinks)) sinks[kname] = { ...pick(sink, `${base}/sinks/${pointerSegment(kname)}`), channel: sink.channel };
    if (Object.keys(sources).length > 0) out.sources = sources;
    out.channels = channels;
    if (Object.keys(sinks).length > 0) out.sinks = sinks;
    const groups: Record<string, unknown> = {};
    for (const [gname, group] of Object.entries(agent.sinkGroups)) {
      groups[gname] = { sinks: [...group.sinks], processor: pick(group.processor, `${base}/sinkGroups/${pointerSegment(gname)}/processor`) };
    }
    if (Object.keys(groups).length > 0) out.sinkGroups = groups;
    agents[name] = out;
  }
  const doc = new Document({ agents });
  const header = [`Migrated from the Flume file ${source} by \`sluice migrate\`.`, 'Keys Flume read are translated into Sluice options; Flume defaults that differ from Sluice\'s are written out.'];
  for (const warning of warnings) {
    const note = ` warning: ${warning.key ?? (warning.path || 'file')}: ${warning.message}${warning.hint ? `. Hint: ${warning.hint}` : ''}`;
    if (!attach(doc, warning.path, note)) header.push(note.trim());
  }
  doc.commentBefore = header.map((line) => ` ${line}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** Attaches `note` as a comment above the deepest node of `pointer` that exists in the document. */
function attach(doc: Document, pointer: string, note: string): boolean {
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  while (segments.length > 1) {
    const parent = doc.getIn(segments.slice(0, -1), true) as Node | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === segments[segments.length - 1]) as Pair<Node, Node> | undefined;
      if (pair && isScalar(pair.key)) {
        pair.key.commentBefore = pair.key.commentBefore ? `${pair.key.commentBefore}\n${note}` : note;
        return true;
      }
    }
    segments.pop();
  }
  return false;
}

/** The validated (typed) values of the keys `set` has, recursing one level into objects such as `roll`. */
function onlySet(config: Readonly<Record<string, unknown>>, set: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!set) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(set)) {
    if (!(key in config)) continue;
    const typed = config[key];
    out[key] = value !== null && typeof value === 'object' && !Array.isArray(value) && typed !== null && typeof typed === 'object' && !Array.isArray(typed)
      ? onlySet(typed as Record<string, unknown>, value as Record<string, unknown>)
      : structuredClone(typed);
  }
  return out;
}

function pointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
