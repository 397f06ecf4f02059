import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { loadTopology } from '@sluice/agent';
import { parseTopology } from '@sluice/config';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Every YAML snippet in docs/*.md and in the READMEs (repository root, packages/*, plugins/*,
 * examples/*) is loaded and validated like `sluice validate` does, so a wrong example cannot ship.
 *
 * A snippet is either a whole topology (top-level `agents:`), or deliberately partial and then
 * marked as a fragment in its fence: ```` ```yaml fragment ````. A fragment is validated wrapped:
 * `sources:`/`channels:`/`sinks:`/`sinkGroups:` keys (or components keyed by name, at any indent)
 * become one agent's (components keyed by name are sources, or channels when of a channel type),
 * and each channel it names but does not define becomes a memory channel.
 */
interface Snippet {
  file: string;
  line: number;
  fragment: boolean;
  text: string;
}

function markdownFiles(): string[] {
  const files = [path.join(ROOT, 'README.md')];
  const docs = path.join(ROOT, 'docs');
  for (const name of readdirSync(docs)) if (name.endsWith('.md')) files.push(path.join(docs, name));
  for (const dir of ['packages', 'plugins', 'examples']) {
    for (const name of readdirSync(path.join(ROOT, dir))) {
      const readme = path.join(ROOT, dir, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  return files;
}

function snippets(file: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```\s*(ya?ml)\b(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) body.push(lines[j++]!.slice(indent));
    out.push({ file: path.relative(ROOT, file), line: i + 1, fragment: /\bfragment\b/.test(open[3]!), text: body.join('\n') });
    i = j;
  }
  return out;
}

/** Removes the common indentation, so an indented excerpt parses as YAML. */
function dedent(text: string): string {
  const lines = text.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const common = Math.min(...indents);
  return lines.map((l) => l.slice(common)).join('\n');
}

const SECTIONS = ['sources', 'channels', 'sinks', 'sinkGroups'];

/** Builds a whole topology around a fragment; the kind of name-keyed components comes from their type. */
function wrap(fragment: Record<string, unknown>, kindOf: (type: string) => string): Record<string, unknown> {
  let agent: Record<string, Record<string, unknown>>;
  if (Object.keys(fragment).some((key) => SECTIONS.includes(key))) {
    agent = Object.fromEntries(Object.entries(fragment).map(([k, v]) => [k, { ...(v as object) }])) as Record<string, Record<string, unknown>>;
  } else {
    agent = {};
    for (const [name, component] of Object.entries(fragment)) {
      const kind = kindOf(String((component as { type?: unknown }).type));
      const section = kind === 'channel' ? 'channels' : kind === 'sink' ? 'sinks' : 'sources';
      (agent[section] ??= {})[name] = component;
    }
  }
  agent.channels ??= {};
  agent.sources ??= {};
  // A source without channels (an excerpt of one) gets one.
  for (const source of Object.values(agent.sources) as { channels?: string[] }[]) source.channels ??= ['fill'];
  const named = new Set<string>();
  for (const source of Object.values(agent.sources) as { channels: string[]; selector?: { mapping?: Record<string, string[]>; default?: string[] } }[]) {
    for (const c of [...source.channels, ...Object.values(source.selector?.mapping ?? {}).flat(), ...(source.selector?.default ?? [])]) named.add(c);
  }
  for (const sink of Object.values(agent.sinks ?? {}) as { channel?: string }[]) if (sink.channel) named.add(sink.channel);
  for (const name of named) agent.channels[name] ??= { type: 'memory' };
  if (Object.keys(agent.sources).length === 0) agent.sources.fill = { type: 'seq', channels: Object.keys(agent.channels) };
  const groups = agent.sinkGroups as Record<string, { sinks?: string[] }> | undefined;
  for (const group of Object.values(groups ?? {})) {
    for (const sink of group.sinks ?? []) ((agent.sinks ??= {}) as Record<string, unknown>)[sink] ??= { type: 'null', channel: Object.keys(agent.channels)[0] };
  }
  return { agents: { a1: agent } };
}

/** Kubernetes manifests (docs/deploy.md): their embedded topologies are validated, with the pods' environment, by deploy-docs.test.ts. */
const isKubernetesManifest = (snippet: Snippet): boolean => /^apiVersion:/m.test(snippet.text) && /^kind:/m.test(snippet.text);

describe('docs examples', function () {
  this.timeout(60000);
  const all = markdownFiles().flatMap(snippets).filter((snippet) => !isKubernetesManifest(snippet));

  it('finds the YAML snippets of the docs and READMEs', () => {
    expect(all.length).to.be.at.least(10);
  });

  for (const snippet of all) {
    it(`${snippet.file}:${snippet.line} is ${snippet.fragment ? 'a valid fragment' : 'a valid topology'}`, async () => {
      const data = parse(dedent(snippet.text)) as Record<string, unknown>;
      expect(data, 'the snippet parses to a mapping').to.be.an('object');
      let text = snippet.text;
      if (snippet.fragment) {
        // Components keyed by name in a fragment are sources, except the channel types.
        const kindOf = (type: string): string => (type === 'memory' || type === 'file' ? 'channel' : 'source');
        text = JSON.stringify(wrap(data, kindOf));
      } else {
        expect(data, 'an unmarked snippet is a whole topology; mark partial ones ```yaml fragment').to.have.property('agents');
      }
      const raw = parseTopology(text, path.join(ROOT, snippet.file, '..', 'topology.yaml'), { format: 'yaml' });
      try {
        await loadTopology(raw);
      } catch (error) {
        const problems = (error as { problems?: { path: string; message: string }[] }).problems;
        throw new Error(`${snippet.file}:${snippet.line}: ${problems ? problems.map((p) => `${p.path}: ${p.message}`).join('; ') : (error as Error).message}`);
      }
    });
  }
});
