import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadTopology } from '@sluice/agent';
import { parseTopology } from '@sluice/config';
import type { Logger, Source, SourceContext } from '@sluice/core';
import { collectEvents, createHarness, eventually, sourceSuite, takeAll, type SuiteHarness } from '@sluice/testkit';
import { ExecSource, execSource, execSourceProblems, type ExecSourceConfig } from '../src/index.js';

const DEFAULTS: Omit<ExecSourceConfig, 'command'> = {
  shell: '', restart: false, restartThrottle: '10s', logStdErr: false, batchSize: 20, batchTimeout: '3s', charset: 'UTF-8', maxLineLength: 1048576, stopGracePeriod: '5s',
};

function execConfig(overrides: Partial<ExecSourceConfig> & { command: string }): ExecSourceConfig {
  return { ...DEFAULTS, ...overrides };
}

/** Live (non-zombie) processes of process group `pgid`, from the process table. */
function groupMembers(pgid: number): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return table.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => Number(f[1]) === pgid && !f[2]?.startsWith('Z')).map((f) => f.join(' '));
}

/** A logger that records every line, for asserting what the source reports. */
function recordingLogger(lines: Record<string, unknown>[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (obj: object | string, msg?: string) => {
    lines.push(typeof obj === 'string' ? { ...bindings, level, msg: obj } : { ...bindings, ...obj, level, msg });
  };
  return {
    trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

describe('exec source', function () {
  this.timeout(30000);
  let dir = '';
  let harness: SuiteHarness | undefined;
  let source: ExecSource | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-exec-'));
  });
  afterEach(async () => {
    await source?.stop();
    await harness?.close();
    source = undefined;
    harness = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function startExec(config: ExecSourceConfig, options: { capacity?: number; logs?: Record<string, unknown>[] } = {}): Promise<SourceContext> {
    harness = await createHarness(options.capacity === undefined ? {} : { capacity: options.capacity });
    const base = harness.sourceContext('exec-under-test');
    const ctx = options.logs ? { ...base, logger: recordingLogger(options.logs) } : base;
    source = execSource.create(config, ctx) as ExecSource;
    await source.start();
    return ctx;
  }

  it('delivers every line of `seq 1 200000`, in order, and ends the final partial batch at EOF', async () => {
    await startExec(execConfig({ command: 'seq 1 200000', batchSize: 1000, batchTimeout: '10s' }));
    const events = await collectEvents(harness!, 200000, 20000);
    expect(events).to.have.length(200000);
    for (let i = 0; i < events.length; i++) {
      if (events[i]!.body.toString() !== String(i + 1)) expect.fail(`event ${i} is '${events[i]!.body.toString()}', expected ${i + 1}`);
    }
  });

  it('delivers every line appended to a file followed by tail -F, including after it is replaced, within batchTimeout', async () => {
    const file = path.join(dir, 'app.log');
    writeFileSync(file, '');
    await startExec(execConfig({ command: `tail -n +1 -F ${file}`, batchSize: 100, batchTimeout: '50ms' }));
    const expected: string[] = [];
    for (let round = 0; round < 5; round++) {
      const lines = Array.from({ length: 333 }, (_, i) => `r${round}-line-${i}`);
      appendFileSync(file, `${lines.join('\n')}\n`);
      expected.push(...lines);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const before = await collectEvents(harness!, expected.length);
    // A partial batch (333 is not a multiple of 100) only arrives through batchTimeout.
    expect(before.map((e) => e.body.toString())).to.deep.equal(expected);
    rmSync(file);
    writeFileSync(file, 'after-rotation\n');
    const after = await collectEvents(harness!, 1);
    expect(after.map((e) => e.body.toString())).to.deep.equal(['after-rotation']);
  });

  it('stop ends the whole process group, children of the shell included (checked in the process table)', async () => {
    const file = path.join(dir, 'g.log');
    writeFileSync(file, 'x\n');
    await startExec(execConfig({ command: `tail -F ${file} | cat | cat`, shell: '/bin/sh -c', batchSize: 1, stopGracePeriod: '2s' }));
    await collectEvents(harness!, 1);
    const pgid = source!.pgid!;
    expect(groupMembers(pgid).join('\n')).to.match(/tail -F/);
    expect(groupMembers(pgid)).to.have.length(4); // sh, tail, cat, cat
    await source!.stop();
    expect(groupMembers(pgid)).to.deep.equal([]);
  });

  it('a command ignoring SIGTERM is killed after stopGracePeriod', async () => {
    await startExec(execConfig({ command: 'trap "" TERM; echo ready; while true; do sleep 0.1; done', shell: '/bin/sh -c', batchSize: 1, stopGracePeriod: '300ms' }));
    await collectEvents(harness!, 1);
    const pgid = source!.pgid!;
    const started = Date.now();
    await source!.stop();
    expect(Date.now() - started).to.be.within(250, 3000);
    expect(groupMembers(pgid)).to.deep.equal([]);
  });

  it('a process that dies of an uncaught error without stopping the source takes the command\'s group with it', async () => {
    const script = `
      import { ProcessGroup } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};
      const group = new ProcessGroup('/bin/sh', ['-c', 'sleep 30 | cat']);
      console.log(group.pgid);
      setTimeout(() => { throw new Error('crash without stopping the source'); }, 300);
    `;
    let pgid = 0;
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (error) {
      pgid = Number((error as { stdout: string }).stdout.trim());
    }
    expect(pgid).to.be.above(0);
    await eventually(() => groupMembers(pgid).length === 0, 'no process left in the group');
  });

  it('restarts a command that exits when restart is set, logging its exit code and last stderr lines', async () => {
    const logs: Record<string, unknown>[] = [];
    const ctx = await startExec(execConfig({ command: 'echo run; echo "disk on fire" >&2; exit 3', shell: '/bin/sh -c', restart: true, restartThrottle: '50ms', batchSize: 1 }), { logs });
    const events = await collectEvents(harness!, 3);
    expect(events.map((e) => e.body.toString())).to.deep.equal(['run', 'run', 'run']);
    const exits = logs.filter((l) => l.msg === 'exec command exited with an error');
    expect(exits.length).to.be.at.least(2);
    expect(exits[0]).to.include({ exitCode: 3, level: 'warn' });
    expect(exits[0]!.stderr).to.deep.equal(['disk on fire']);
    expect(ctx.metrics.get('CommandRestartCount')).to.be.at.least(2);
  });

  it('without restart, a command that exits stays exited', async () => {
    const logs: Record<string, unknown>[] = [];
    await startExec(execConfig({ command: 'echo once', batchSize: 1 }), { logs });
    await collectEvents(harness!, 1);
    await eventually(() => logs.some((l) => l.msg === 'exec command exited'), 'the exit log line');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await takeAll(harness!)).to.deep.equal([]);
    expect(logs.find((l) => l.msg === 'exec command exited')).to.include({ exitCode: 0 });
  });

  it('a command that cannot be started is reported with its error', async () => {
    const logs: Record<string, unknown>[] = [];
    await startExec(execConfig({ command: '/nonexistent/command --flag' }), { logs });
    await eventually(() => logs.some((l) => l.msg === 'exec source could not run the command; check the command and the shell'), 'the spawn error log line');
  });

  it('a full channel pauses reading: the command blocks writing to the pipe and no line is lost once the channel drains', async () => {
    await startExec(execConfig({ command: 'seq 1 200000', batchSize: 100, batchTimeout: '50ms' }), { capacity: 1000 });
    await eventually(() => harness!.channel.size >= 1000, 'a full channel');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pgid = source!.pgid!;
    expect(pgid, 'seq still running while the channel is full').to.be.a('number');
    // Node's stdio pipes are Unix socket pairs: a blocked writer waits in the socket send path.
    expect(readFileSync(`/proc/${pgid}/wchan`, 'utf8')).to.match(/pipe_write|pipe_wait|sock_alloc_send|unix_stream|wait_woken/);
    let next = 1;
    const deadline = Date.now() + 20000;
    while (next <= 200000 && Date.now() < deadline) {
      const events = await takeAll(harness!, 1000);
      for (const event of events) {
        if (event.body.toString() !== String(next)) expect.fail(`got ${event.body.toString()}, expected ${next}`);
        next++;
      }
      if (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(next - 1).to.equal(200000);
  });

  it('refuses an empty command and a UTF-16 charset before start', () => {
    expect(execSourceProblems(execConfig({ command: '   ' })).map((p) => p.path)).to.deep.equal(['/command']);
    expect(execSourceProblems(execConfig({ command: 'cat', charset: 'UTF-16LE' })).map((p) => p.path)).to.deep.equal(['/charset']);
    expect(execSourceProblems(execConfig({ command: 'cat', charset: 'no-such-charset' })).map((p) => p.path)).to.deep.equal(['/charset']);
    expect(execSourceProblems(execConfig({ command: 'cat', charset: 'ISO-8859-1' }))).to.deep.equal([]);
  });

  it('maps Flume keys: millisecond numbers become durations', () => {
    expect(execSource.fromFlume!({ command: 'tail -F /x', restart: 'true', restartThrottle: '2000', batchTimeout: '500', shell: '/bin/bash -c', logStdErr: 'true' }))
      .to.deep.equal({ command: 'tail -F /x', restart: 'true', restartThrottle: '2000ms', batchTimeout: '500ms', shell: '/bin/bash -c', logStdErr: 'true' });
  });
});

describe('exec source in Flume .properties topologies', () => {
  it('loads the Flume User Guide\'s two exec examples (plain command; shell with a for loop)', async () => {
    // FlumeUserGuide.rst, "Exec Source" (apache/flume, flume-ng-doc/sphinx), verbatim apart from the channels line of the second.
    const raw = parseTopology([
      'a1.sources = r1 tailsource-1',
      'a1.channels = c1',
      'a1.sources.r1.type = exec',
      'a1.sources.r1.command = tail -F /var/log/secure',
      'a1.sources.r1.channels = c1',
      'a1.sources.tailsource-1.type = exec',
      'a1.sources.tailsource-1.shell = /bin/bash -c',
      'a1.sources.tailsource-1.command = for i in /path/*.txt; do cat $i; done',
      'a1.sources.tailsource-1.channels = c1',
      'a1.channels.c1.type = memory',
    ].join('\n'), 'flume.properties');
    const { model } = await loadTopology(raw, { agent: 'a1' });
    expect(model.agents.a1!.sources.r1!.config).to.deep.include({ command: 'tail -F /var/log/secure', shell: '', restart: false, restartThrottle: '10s', batchSize: 20, batchTimeout: '3s' });
    expect(model.agents.a1!.sources['tailsource-1']!.config).to.deep.include({ command: 'for i in /path/*.txt; do cat $i; done', shell: '/bin/bash -c' });
  });
});

describe('exec source conformance (tail -F of a file the client appends to)', () => {
  let dir = '';
  const files = new Map<Source, string>();
  sourceSuite({
    factory: (ctx) => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-exec-suite-'));
      const file = path.join(dir, 'in.log');
      writeFileSync(file, '');
      const source = execSource.create(execConfig({ command: `tail -n +1 -F ${file}`, batchSize: 5, batchTimeout: '20ms', stopGracePeriod: '1s' }), ctx);
      files.set(source, file);
      return source;
    },
    produce: async (source, bodies) => {
      appendFileSync(files.get(source)!, bodies.map((b) => `${b}\n`).join(''));
    },
    capabilities: { backpressure: true },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
});
