import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const ROUNDS = 20;
const BATCH = 100;
/** The batch of each of the two sinks: each kill can leave one per sink written but not yet committed. */
const SINK_BATCH = 100;
/** Events each killed round generates, so the backlog the final round drains stays bounded. */
const PER_ROUND = 30_000;
const BODY = 16;
/** Round r's seq source starts at (r + 1) * STRIDE, so every round's numbers are distinct. */
const STRIDE = 10_000_000;

function topology(dir: string, start: number, count: number): string {
  return `
agents:
  crash:
    drainTimeout: 10s
    sources:
      seq: { type: seq, start: ${start}, count: ${count}, batchSize: ${BATCH}, bodySize: ${BODY}, channels: [disk] }
    channels:
      disk: { type: file, dataDir: '${path.join(dir, 'disk')}', minFreeSpace: '0', transactionCapacity: ${SINK_BATCH} }
    sinks:
      out1: { type: file_roll, channel: disk, directory: '${path.join(dir, 'out', 'a')}', fsync: true, batchSize: ${SINK_BATCH}, rollInterval: '0' }
      out2: { type: file_roll, channel: disk, directory: '${path.join(dir, 'out', 'b')}', fsync: true, batchSize: ${SINK_BATCH}, rollInterval: '0' }
`;
}

/** Sequence numbers in the sinks' files (out/a, out/b), once per time written; torn lines are ignored. */
function delivered(outDir: string): number[] {
  const numbers: number[] = [];
  for (const sink of ['a', 'b']) {
    let files: string[] = [];
    try {
      files = readdirSync(path.join(outDir, sink));
    } catch {
      continue;
    }
    for (const file of files) {
      for (const line of readFileSync(path.join(outDir, sink, file), 'latin1').split('\n')) {
        if (line.length !== BODY) continue;
        numbers.push(Number(line.slice(0, line.indexOf(' '))));
      }
    }
  }
  return numbers;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('file channel dataDir lock between agent processes', function () {
  this.timeout(60000);
  const dir = new TempDir();
  const agents: AgentProcess[] = [];
  after(async () => {
    for (const agent of agents) await agent.kill();
    dir.cleanup();
  });

  it('a second agent opening the same dataDir fails to start (the channel is locked) and the first keeps running', async () => {
    const file = dir.write('topology.yaml', topology(dir.path, 1, 0));
    const first = AgentProcess.start(file, 'crash');
    agents.push(first);
    await first.started();
    const second = AgentProcess.start(file, 'crash');
    agents.push(second);
    const status = await second.exited;
    expect(status.code, 'second agent exit code').to.not.equal(0);
    // The agent wraps the channel's SLUICE_LOCKED in SLUICE_COMPONENT_START naming the channel;
    // the in-process test in packages/channel-file asserts SLUICE_LOCKED itself.
    const fatal = second.logs.find((l) => l.level === 60) as { code?: string; err?: { details?: { component?: string }; stack?: string } } | undefined;
    expect(fatal?.code, JSON.stringify(fatal)).to.equal('SLUICE_COMPONENT_START');
    expect(fatal?.err?.details?.component).to.equal('disk');
    expect(fatal?.err?.stack).to.contain(path.join(dir.path, 'disk', 'index', 'LOCK'));
    expect(first.child.exitCode, 'first agent still running').to.equal(null);
    const stopped = await first.stop();
    expect(stopped.code).to.equal(0);
  });
});

describe('file channel survives SIGKILL of a real agent @slow', function () {
  this.timeout(150000);
  const dir = new TempDir();
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.kill();
    dir.cleanup();
  });

  it(`seq -> file -> two file_roll sinks killed ${ROUNDS} times loses no committed event and duplicates at most the batch in flight per kill`, async () => {
    // committed[r] = events of round r the channel logged as committed (a lower bound: the
    // process may die after the commit and before the log line reaches us).
    const committed: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const file = dir.write('topology.yaml', topology(dir.path, (round + 1) * STRIDE, PER_ROUND));
      agent = AgentProcess.start(file, 'crash', { logLevel: 'debug' });
      await agent.started();
      await sleep(100 + Math.floor(Math.random() * 600));
      await agent.kill();
      committed.push(agent.logs.filter((l) => l.msg === 'put batch committed').length * BATCH);
      // Two sinks commit out of order; a restart must never mistake a consumed batch for a lost one.
      expect(agent.logs.filter((l) => l.code === 'SLUICE_DATA_CORRUPT'), `round ${round}`).to.deep.equal([]);
      agent = undefined;
    }
    expect(committed.filter((n) => n > 0).length, 'rounds that committed something').to.be.greaterThan(ROUNDS / 2);

    // Final round: a finite source and a graceful stop once everything arrived.
    const finalStart = (ROUNDS + 1) * STRIDE;
    const finalCount = 10 * BATCH;
    const file = dir.write('topology.yaml', topology(dir.path, finalStart, finalCount));
    agent = AgentProcess.start(file, 'crash', { logLevel: 'info' });
    await agent.started();
    const expected: number[] = [];
    for (let round = 0; round < ROUNDS; round++) for (let i = 0; i < committed[round]!; i++) expected.push((round + 1) * STRIDE + i);
    for (let i = 0; i < finalCount; i++) expected.push(finalStart + i);
    const outDir = path.join(dir.path, 'out');
    let seen = new Set<number>();
    for (let waited = 0; waited < 60000; waited += 200) {
      seen = new Set(delivered(outDir));
      if (expected.every((n) => seen.has(n))) break;
      await sleep(200);
    }
    const status = await agent.stop();
    agent = undefined;
    expect(status.code, 'graceful exit').to.equal(0);

    const all = delivered(outDir);
    const missing = expected.filter((n) => !seen.has(n));
    expect(missing.length, `missing sequence numbers, first: ${missing.slice(0, 5).join(', ')}`).to.equal(0);
    // Nothing invented: every number is one a seq source generated in its round.
    for (const n of new Set(all)) {
      const round = Math.floor(n / STRIDE) - 1;
      expect(round, `round of ${n}`).to.be.within(0, ROUNDS);
    }
    const duplicates = all.length - new Set(all).size;
    expect(duplicates, 'duplicates beyond one in-flight batch per sink and kill').to.be.at.most(ROUNDS * 2 * SINK_BATCH);
  });
});
