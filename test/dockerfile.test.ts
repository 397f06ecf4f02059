import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Instruction { keyword: string; args: string; line: number }
interface Stage { from: string; name?: string; instructions: Instruction[] }

/** The Dockerfile's instructions (continuation lines joined, comments dropped), grouped by stage. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    while (line.endsWith('\\')) line = `${line.slice(0, -1)} ${lines[++i] ?? ''}`;
    if (/^\s*(#|$)/.test(line)) continue;
    const [, keyword = '', rest = ''] = /^\s*(\S+)\s*(.*)$/.exec(line)!;
    const instruction = { keyword: keyword.toUpperCase(), args: rest.trim(), line: start };
    if (instruction.keyword === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(instruction.args)!;
      stages.push({ from, ...(name ? { name } : {}), instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name = '', value = ''] = instruction.args.split('=');
      args.set(name, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** Whether a .dockerignore pattern list leaves `file` (a context-relative path) in the build context. */
function inContext(file: string, patterns: string[]): boolean {
  return !patterns.some((pattern) => {
    const body = pattern.replace(/\./g, '\\.').replace(/\*\*\//g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '(.*/)?');
    const regex = new RegExp(`^${body}(/.*)?$`);
    return regex.test(file);
  });
}

/**
 * No Docker daemon or hadolint here: these are the rules the image relies on, checked on the
 * Dockerfile's text (a build simulated stage by stage is described in docs/deploy.md).
 */
describe('Dockerfile', () => {
  const { args, stages } = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const final = stages.at(-1)!;
  const all = (stage: Stage, keyword: string): Instruction[] => stage.instructions.filter((i) => i.keyword === keyword);

  it('builds in stages from a pinned Node image (a tag, never latest)', () => {
    expect(stages.length).to.be.at.least(3);
    for (const stage of stages) {
      const image = stage.from.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? '');
      expect(image, stage.from).to.match(/^node:[0-9][^:]*$/);
      expect(image).to.not.match(/:latest$/);
    }
  });

  it('runs the final image as an unprivileged user, with sluice agent as its exec-form entrypoint', () => {
    const users = all(final, 'USER');
    expect(users, 'a USER in the final stage').to.not.be.empty;
    expect(users.at(-1)!.args).to.not.match(/^(root|0)(:|$)/);
    const lastRun = all(final, 'RUN').at(-1)?.line ?? 0;
    expect(users.at(-1)!.line, 'USER after the last RUN').to.be.greaterThan(lastRun);
    const entrypoint = JSON.parse(all(final, 'ENTRYPOINT').at(-1)!.args) as string[];
    const bin = (JSON.parse(readFileSync(path.join(ROOT, 'packages/cli/package.json'), 'utf8')) as { bin: { sluice: string } }).bin.sluice;
    expect(entrypoint).to.deep.equal(['node', path.posix.join('/opt/sluice/packages/cli', bin), 'agent']);
    const cmd = JSON.parse(all(final, 'CMD').at(-1)!.args) as string[];
    expect(cmd).to.include('/etc/sluice/topology.yaml');
  });

  it('ships only production dependencies: the final stage copies from a stage that installs with --omit=dev and drops the test kit', () => {
    const sources = all(final, 'COPY').map((c) => /--from=(\S+)/.exec(c.args)?.[1]);
    expect(sources).to.not.be.empty;
    for (const source of sources) {
      const stage = stages.find((s) => s.name === source);
      expect(stage, `COPY --from=${source}`).to.not.equal(undefined);
      const runs = all(stage!, 'RUN').map((r) => r.args).join(' ');
      expect(runs).to.match(/npm (ci|install) --omit=dev/);
      expect(runs).to.include('rm -rf packages/testkit');
      expect(runs).to.not.match(/npm (ci|install)(?![^&]*--omit=dev)/);
    }
  });

  it('takes from the build context only paths that exist and that .dockerignore keeps, and never ADDs', () => {
    expect(stages.flatMap((s) => all(s, 'ADD'))).to.deep.equal([]);
    const copied = stages.flatMap((s) => all(s, 'COPY')).filter((c) => !c.args.includes('--from='));
    expect(copied).to.not.be.empty;
    for (const copy of copied) {
      const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) {
        expect(existsSync(path.join(ROOT, source)), `${source} (line ${copy.line})`).to.equal(true);
        expect(inContext(source, ignore), `${source} is excluded by .dockerignore`).to.equal(true);
      }
    }
    for (const local of ['node_modules', 'packages/core/node_modules', 'packages/core/dist', '.git']) expect(inContext(local, ignore), local).to.equal(false);
  });
});
