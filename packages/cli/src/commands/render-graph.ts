import type { AgentModel } from '@sluice/config';

/** Output formats of `sluice graph`. */
export type GraphFormat = 'mermaid' | 'dot';

interface Edge { from: string; to: string; label?: string; dashed?: boolean }
interface Node { id: string; label: string; kind: 'source' | 'channel' | 'sink' | 'stage' }

/**
 * Draws one agent's flow: sources (with their interceptors) -> channels -> sinks, stages between
 * their input channel and their output channels, sink groups as
 * clusters labelled with their processor, multiplexing routes as edge labels, optional channels
 * and dead-letter paths as dashed edges. Pure: called by `sluice graph` and tests.
 */
export function renderGraph(agent: AgentModel, format: GraphFormat): string {
  const nodes: Node[] = [];
  const edges: Edge[] = [];
  for (const source of Object.values(agent.sources)) {
    const chain = source.interceptors.map((i) => i.type).join(', ');
    nodes.push({ id: id('source', source.name), label: `${source.name}: ${source.type}${chain ? `\\n[${chain}]` : ''}`, kind: 'source' });
    for (const [channel, how] of selectorEdges(source.selector.type, source.selector.config, source.channels)) {
      edges.push({ from: id('source', source.name), to: id('channel', channel), ...(how.label ? { label: how.label } : {}), ...(how.optional ? { dashed: true } : {}) });
    }
  }
  for (const channel of Object.values(agent.channels)) nodes.push({ id: id('channel', channel.name), label: `${channel.name}: ${channel.type}`, kind: 'channel' });
  for (const sink of Object.values(agent.sinks)) {
    nodes.push({ id: id('sink', sink.name), label: `${sink.name}: ${sink.type}`, kind: 'sink' });
    edges.push({ from: id('channel', sink.channel), to: id('sink', sink.name) });
    if (sink.deadLetter) edges.push({ from: id('sink', sink.name), to: id('channel', sink.deadLetter.channel), label: `dead letters after ${sink.deadLetter.after}`, dashed: true });
  }
  for (const stage of Object.values(agent.stages ?? {})) {
    nodes.push({ id: id('stage', stage.name), label: `${stage.name}: ${stage.type}`, kind: 'stage' });
    edges.push({ from: id('channel', stage.channel), to: id('stage', stage.name) });
    for (const channel of stage.channels) edges.push({ from: id('stage', stage.name), to: id('channel', channel), label: 'results' });
    if (stage.deadLetter) edges.push({ from: id('stage', stage.name), to: id('channel', stage.deadLetter.channel), label: 'bad and late records', dashed: true });
  }
  const groups = Object.values(agent.sinkGroups).map((g) => ({ id: id('group', g.name), label: `${g.name}: ${g.processor.type}`, members: g.sinks.map((s) => id('sink', s)) }));
  return format === 'dot' ? dot(agent.name, nodes, edges, groups) : mermaid(nodes, edges, groups);
}

/** Which channels a source's selector feeds, with a label per edge. */
function selectorEdges(type: string, config: Readonly<Record<string, unknown>>, channels: readonly string[]): [string, { label?: string; optional?: boolean }][] {
  if (type === 'multiplexing') {
    const header = String(config.header);
    const labels = new Map<string, string[]>();
    const optional = new Set<string>();
    const add = (channel: string, label: string): void => {
      labels.set(channel, [...(labels.get(channel) ?? []), label]);
    };
    for (const [value, list] of Object.entries((config.mapping ?? {}) as Record<string, string[]>)) for (const c of list) add(c, `${header}=${value}`);
    for (const c of (config.default ?? []) as string[]) add(c, 'default');
    for (const [value, list] of Object.entries((config.optional ?? {}) as Record<string, string[]>)) {
      for (const c of list) {
        if (!labels.has(c)) optional.add(c);
        add(c, `${header}=${value} (optional)`);
      }
    }
    return channels.filter((c) => labels.has(c)).map((c) => [c, { label: labels.get(c)!.join(', '), ...(optional.has(c) ? { optional: true } : {}) }]);
  }
  if (type === 'load_balancing') return channels.map((c) => [c, { label: `${String(config.policy)} share` }]);
  const optional = new Set((config.optional ?? []) as string[]);
  return channels.map((c) => [c, optional.has(c) ? { label: 'optional', optional: true } : {}]);
}

function id(kind: string, name: string): string {
  return `${kind}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function mermaid(nodes: Node[], edges: Edge[], groups: { id: string; label: string; members: string[] }[]): string {
  const lines = ['flowchart LR'];
  const shape = (n: Node): string => {
    const label = JSON.stringify(n.label.replace(/\\n/g, '<br/>'));
    return n.kind === 'source' ? `${n.id}([${label}])` : n.kind === 'channel' ? `${n.id}[(${label})]` : n.kind === 'stage' ? `${n.id}{{${label}}}` : `${n.id}[[${label}]]`;
  };
  const grouped = new Set(groups.flatMap((g) => g.members));
  for (const n of nodes) if (!grouped.has(n.id)) lines.push(`  ${shape(n)}`);
  for (const g of groups) {
    lines.push(`  subgraph ${g.id}[${JSON.stringify(g.label)}]`);
    for (const n of nodes) if (g.members.includes(n.id)) lines.push(`    ${shape(n)}`);
    lines.push('  end');
  }
  for (const e of edges) {
    const arrow = e.dashed ? (e.label ? `-. ${JSON.stringify(e.label)} .->` : '-.->') : (e.label ? `-- ${JSON.stringify(e.label)} -->` : '-->');
    lines.push(`  ${e.from} ${arrow} ${e.to}`);
  }
  return `${lines.join('\n')}\n`;
}

function dot(name: string, nodes: Node[], edges: Edge[], groups: { id: string; label: string; members: string[] }[]): string {
  const lines = [`digraph ${JSON.stringify(name)} {`, '  rankdir=LR;'];
  const shape = { source: 'box', channel: 'cylinder', sink: 'box3d', stage: 'hexagon' } as const;
  const decl = (n: Node): string => `${n.id} [label=${JSON.stringify(n.label).replace(/\\\\n/g, '\\n')}, shape=${shape[n.kind]}];`;
  const grouped = new Set(groups.flatMap((g) => g.members));
  for (const n of nodes) if (!grouped.has(n.id)) lines.push(`  ${decl(n)}`);
  for (const g of groups) {
    lines.push(`  subgraph cluster_${g.id} {`, `    label=${JSON.stringify(g.label)};`);
    for (const n of nodes) if (g.members.includes(n.id)) lines.push(`    ${decl(n)}`);
    lines.push('  }');
  }
  for (const e of edges) {
    const attrs = [e.label ? `label=${JSON.stringify(e.label)}` : '', e.dashed ? 'style=dashed' : ''].filter(Boolean).join(', ');
    lines.push(`  ${e.from} -> ${e.to}${attrs ? ` [${attrs}]` : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
