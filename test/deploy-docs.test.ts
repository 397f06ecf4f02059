import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { parseDuration } from '@sluice/core';
import { SLUICE_BIN, TempDir } from './helpers/agent-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every ```yaml block of a Markdown file, with the line it starts on. */
function yamlBlocks(file: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```yaml') continue;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ line: i + 1, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** Runs `sluice validate` on a topology with exactly the given environment variables set. */
function validate(dir: TempDir, name: string, topology: string, agent: string | undefined, env: Record<string, string>): { status: number | null; output: string } {
  const file = dir.write(name, topology);
  const result = spawnSync(process.execPath, [SLUICE_BIN, 'validate', '-f', file, ...(agent ? ['-n', agent] : [])], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The volume mount of the container that holds `file`, if any. */
function mountHolding(container: Json, file: string): Json | undefined {
  return (container.volumeMounts as Json[] | undefined)?.find((m) => file === m.mountPath || file.startsWith(`${String(m.mountPath)}/`));
}

describe('docs/deploy.md', function () {
  this.timeout(60000);
  const dir = new TempDir();
  after(() => dir.cleanup());
  const blocks = yamlBlocks(path.join(ROOT, 'docs/deploy.md'));
  const documents = blocks.flatMap((block) => parseAllDocuments(block.text).map((doc) => {
    expect(doc.errors.map((e) => e.message), `YAML block at line ${block.line}`).to.deep.equal([]);
    return { line: block.line, value: doc.toJS() as Json };
  }));

  it('has YAML blocks that parse, with a DaemonSet, a StatefulSet and a plain topology', () => {
    expect(blocks.length).to.be.at.least(3);
    const kinds = documents.map((d) => d.value.kind);
    expect(kinds).to.include.members(['DaemonSet', 'StatefulSet', 'ConfigMap', 'Service']);
    expect(documents.some((d) => d.value.agents !== undefined)).to.equal(true);
  });

  it('every plain topology block is valid', () => {
    for (const [i, doc] of documents.filter((d) => d.value.agents !== undefined).entries()) {
      const { status, output } = validate(dir, `plain-${i}.yaml`, JSON.stringify(doc.value), undefined, {});
      expect(status, `block at line ${doc.line}: ${output}`).to.equal(0);
    }
  });

  for (const kind of ['DaemonSet', 'StatefulSet']) {
    it(`the ${kind}'s topology is valid for the agent it runs, with only the variables its pod sets`, () => {
      const workload = documents.find((d) => d.value.kind === kind)!.value;
      const pod = workload.spec.template.spec as Json;
      const container = pod.containers[0] as Json;
      const configMapName = (pod.volumes as Json[]).find((v) => v.configMap)!.configMap.name as string;
      const configMap = documents.find((d) => d.value.kind === 'ConfigMap' && d.value.metadata.name === configMapName)!.value;
      const topology = configMap.data['topology.yaml'] as string;
      const args = container.args as string[];
      expect(args.slice(0, 2)).to.deep.equal(['-f', '/etc/sluice/topology.yaml']);
      expect(mountHolding(container, '/etc/sluice/topology.yaml')?.name).to.equal((pod.volumes as Json[]).find((v) => v.configMap)!.name);
      const agent = args[args.indexOf('-n') + 1]!;
      const env = Object.fromEntries((container.env as Json[]).map((e) => [e.name as string, `placeholder-${String(e.name).toLowerCase()}`]));
      const { status, output } = validate(dir, `${kind}.yaml`, topology, agent, env);
      expect(status, output).to.equal(0);
      // Without the pod's variables the topology must not validate: the check above used them.
      if (Object.keys(env).length > 0) expect(validate(dir, `${kind}-noenv.yaml`, topology, agent, {}).status).to.equal(1);
    });
  }

  it('the DaemonSet keeps its positions and file channel on the node, the StatefulSet its file channel on a claimed volume, each with a grace period beyond the drain', () => {
    for (const kind of ['DaemonSet', 'StatefulSet']) {
      const workload = documents.find((d) => d.value.kind === kind)!.value;
      const pod = workload.spec.template.spec as Json;
      const container = pod.containers[0] as Json;
      const configMapName = (pod.volumes as Json[]).find((v) => v.configMap)!.configMap.name as string;
      const configMap = documents.find((d) => d.value.kind === 'ConfigMap' && d.value.metadata.name === configMapName)!.value;
      const topology = parseAllDocuments(configMap.data['topology.yaml'] as string)[0]!.toJS() as Json;
      const agent = Object.values(topology.agents as Json)[0] as Json;
      for (const [name, channel] of Object.entries(agent.channels as Json)) {
        if ((channel as Json).type !== 'file') continue;
        const store = ((channel as Json).dataDir as string | undefined) || path.posix.join(agent.dataDir ?? '/var/lib/sluice/data', name);
        const mount = mountHolding(container, store);
        expect(mount, `${kind}: file channel ${name} at ${store}`).to.not.equal(undefined);
        if (kind === 'DaemonSet') expect((pod.volumes as Json[]).find((v) => v.name === mount!.name)?.hostPath, `${kind}: ${store} on the node`).to.not.equal(undefined);
        else expect((workload.spec.volumeClaimTemplates as Json[]).map((t) => t.metadata.name), `${kind}: ${store} on a claimed volume`).to.include(mount!.name);
      }
      for (const source of Object.values(agent.sources as Json).filter((s) => (s as Json).positionFile)) {
        const mount = mountHolding(container, (source as Json).positionFile as string);
        expect((pod.volumes as Json[]).find((v) => v.name === mount?.name)?.hostPath, `${kind}: taildir positions on the node`).to.not.equal(undefined);
      }
      const drainSeconds = parseDuration(agent.drainTimeout ?? '30s') / 1000;
      expect(pod.terminationGracePeriodSeconds, kind).to.be.greaterThan(drainSeconds);
      expect(mountHolding(container, '/var/lib/sluice'), `${kind}: the image's working directory is writable`).to.not.equal(undefined);
    }
  });
});
