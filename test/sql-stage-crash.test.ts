import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const EVENTS = 48_000;
const KILLS = 10;
const T0 = 1_700_000_000_000;
const WINDOW = 1000;
const LATENESS = 300;

/** Deterministic input: ~5 events per 10 ms of event time, out of order by up to 400 ms, every 97th event 2 s late. */
function inputLines(): { lines: string[]; lastWindowEnd: number; counted: number } {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const lines: string[] = [];
  let watermark = -Infinity;
  let counted = 0;
  let maxTs = 0;
  for (let i = 0; i < EVENTS; i++) {
    let ts = T0 + i * 2 + Math.round((random() - 0.8) * 400);
    if (i % 97 === 96) ts -= 2000;
    const row = { host: `h${Math.floor(random() * 4)}`, bytes: Math.floor(random() * 10_000), ts, seq: i };
    lines.push(JSON.stringify(row));
    // The tumbling late rule (docs: an event whose window closed is late), to know how many count.
    const end = Math.floor(ts / WINDOW) * WINDOW + WINDOW;
    if (end <= watermark) continue;
    counted++;
    maxTs = Math.max(maxTs, ts);
    watermark = Math.max(watermark, ts - LATENESS);
  }
  // A final event far ahead moves the watermark past every window above (its own stays open).
  lines.push(JSON.stringify({ host: 'sentinel', bytes: 0, ts: maxTs + 100_000, seq: EVENTS }));
  return { lines, lastWindowEnd: Math.floor(maxTs / WINDOW) * WINDOW + WINDOW, counted };
}

const fillTopology = (dir: string): string => `
agents:
  fill:
    sources:
      spool: { type: spooldir, spoolDir: '${path.join(dir, 'in')}', batchSize: 500, channels: [raw] }
    channels:
      raw: { type: file, dataDir: '${path.join(dir, 'raw')}', minFreeSpace: '0', transactionCapacity: 1000 }
`;

const statsTopology = (dir: string): string => `
agents:
  stats:
    dataDir: '${path.join(dir, 'state')}'
    drainTimeout: 5s
    channels:
      raw: { type: file, dataDir: '${path.join(dir, 'raw')}', minFreeSpace: '0', transactionCapacity: 1000 }
      results: { type: file, dataDir: '${path.join(dir, 'results')}', minFreeSpace: '0', transactionCapacity: 1000 }
    stages:
      stats:
        type: sql
        channel: raw
        channels: [results]
        batchSize: 100
        schema: { host: varchar, bytes: integer, ts: { type: integer, nullable: false } }
        window: { type: tumbling, size: ${WINDOW}ms, time: event, field: ts, lateness: ${LATENESS}ms }
        query: SELECT host, COUNT(*) AS n, SUM(bytes) AS total, AVG(bytes) AS mean FROM events GROUP BY host ORDER BY host
    sinks:
      out: { type: file_roll, channel: results, directory: '${path.join(dir, 'out')}', serializer: header_and_text, fsync: true, rollInterval: '0', batchSize: 100 }
`;

/**
 * windowId -> host -> every copy of that row found in the sink's files (torn lines ignored). The
 * file_roll sink is at-least-once itself, so after a crash it may write a batch again, which can
 * hold part of a window: copies are compared row by row.
 */
function resultsByWindow(dir: string): Map<string, Map<string, string[]>> {
  const windows = new Map<string, Map<string, string[]>>();
  const out = path.join(dir, 'out');
  if (!existsSync(out)) return windows;
  for (const file of readdirSync(out).sort()) {
    for (const line of readFileSync(path.join(out, file), 'utf8').split('\n')) {
      const match = /windowId=([^,}]+)[^}]*\} (\{.*\})$/.exec(line);
      if (!match) continue;
      let host: string;
      try {
        host = (JSON.parse(match[2]!) as { host: string }).host;
      } catch {
        continue;
      }
      const rows = windows.get(match[1]!) ?? new Map<string, string[]>();
      windows.set(match[1]!, rows);
      rows.set(host, [...(rows.get(host) ?? []), match[2]!]);
    }
  }
  return windows;
}

async function waitFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('sql stage: SIGKILL the agent 10 times mid-run @slow', function () {
  this.timeout(240_000);
  const tmp = new TempDir();
  const agents: AgentProcess[] = [];
  after(async () => {
    for (const agent of agents) await agent.kill();
    tmp.cleanup();
  });

  it('per window id the results equal the no-crash run; repeats only as identical copies of a window', async () => {
    const { lines, lastWindowEnd, counted } = inputLines();
    const lastId = `stats:${lastWindowEnd - WINDOW}:${lastWindowEnd}`;
    // Fill one file channel with the input through a real agent, then copy it for both runs.
    const seed = path.join(tmp.path, 'seed');
    mkdirSync(path.join(seed, 'in'), { recursive: true });
    writeFileSync(path.join(seed, 'in', 'input.jsonl'), `${lines.join('\n')}\n`);
    const fill = AgentProcess.start(tmp.write('fill.yaml', fillTopology(seed)), 'fill');
    agents.push(fill);
    await fill.started();
    await waitFor(() => existsSync(path.join(seed, 'in', 'input.jsonl.COMPLETED')), 'the spooldir source to deliver the input', 60_000);
    expect((await fill.stop()).code).to.equal(0);
    const runs = ['clean', 'crash'].map((name) => {
      const dir = path.join(tmp.path, name);
      cpSync(path.join(seed, 'raw'), path.join(dir, 'raw'), { recursive: true });
      return { dir, file: tmp.write(`${name}.yaml`, statsTopology(dir)) };
    });
    const finished = (dir: string): boolean => resultsByWindow(dir).has(lastId);

    const clean = AgentProcess.start(runs[0]!.file, 'stats');
    agents.push(clean);
    await clean.started(60_000);
    await waitFor(() => finished(runs[0]!.dir), 'the clean run to emit its last window', 120_000);
    expect((await clean.stop()).code).to.equal(0);

    let killedMidRun = 0;
    for (let round = 0; round < KILLS; round++) {
      const agent = AgentProcess.start(runs[1]!.file, 'stats');
      agents.push(agent);
      await agent.started(60_000);
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.floor(Math.random() * 150)));
      if (!finished(runs[1]!.dir)) killedMidRun++;
      await agent.kill();
    }
    const last = AgentProcess.start(runs[1]!.file, 'stats');
    agents.push(last);
    await last.started(60_000);
    await waitFor(() => finished(runs[1]!.dir), 'the crashed run to emit its last window', 120_000);
    expect((await last.stop()).code).to.equal(0);
    expect(killedMidRun, 'kills that hit the agent before it finished').to.be.greaterThan(KILLS / 2);

    const expected = resultsByWindow(runs[0]!.dir);
    const got = resultsByWindow(runs[1]!.dir);
    let total = 0;
    for (const [id, rows] of expected) {
      for (const [host, copies] of rows) {
        expect(copies, `clean run emitted ${id} ${host} once`).to.have.length(1);
        total += (JSON.parse(copies[0]!) as { n: number }).n;
      }
    }
    expect(total, 'every event that was not late is counted once in the clean run').to.equal(counted);
    expect([...got.keys()].sort()).to.deep.equal([...expected.keys()].sort());
    let repeats = 0;
    for (const [id, rows] of got) {
      expect([...rows.keys()].sort(), `hosts of window ${id}`).to.deep.equal([...expected.get(id)!.keys()].sort());
      for (const [host, copies] of rows) {
        for (const copy of copies) expect(copy, `window ${id} host ${host}`).to.equal(expected.get(id)!.get(host)![0]);
        repeats += copies.length - 1;
      }
    }
    console.log(`    ${expected.size} windows, ${repeats} repeated rows after ${KILLS} kills (${killedMidRun} mid-run)`);
  });
});
