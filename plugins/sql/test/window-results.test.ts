import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { SqlStageConfig } from '../src/index.js';
import { byWindow, StageRig } from './stage-rig.js';

const T0 = 1_700_000_000_000;
const SIZE = 1000;
const HOP = 400;
const HOP_SIZE = 1200;
const GAP = 250;
const LATENESS = 300;

/** A deterministic input file: out-of-order and late events, pauses (for sessions) and bad records. */
function writeInput(file: string, count: number): void {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const nominal = T0 + i * 7 + Math.floor(i / 200) * 900;
    let ts = nominal + Math.round((random() - 0.7) * 600);
    if (i % 89 === 0 && i > 0) ts -= 2500;
    const host = `h${Math.floor(random() * 5)}`;
    const bytes = Math.floor(random() * 5000);
    if (i % 151 === 75) lines.push(['{not json', JSON.stringify({ host, bytes: 'lots', ts }), JSON.stringify({ host, bytes })][i % 3]!);
    else lines.push(JSON.stringify({ host, bytes, ts, path: `/p/${i % 7}` }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

interface Row { host: string; bytes: number; ts: number }

/** The input as the reference reads it: rows, or null for a record that does not fit the schema. */
function readInput(file: string): (Row | null)[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((line) => {
    let value: { host?: unknown; bytes?: unknown; ts?: unknown };
    try {
      value = JSON.parse(line) as typeof value;
    } catch {
      return null;
    }
    if (typeof value.bytes !== 'number' || typeof value.ts !== 'number' || typeof value.host !== 'string') return null;
    return { host: value.host, bytes: value.bytes, ts: value.ts };
  });
}

type Windows = Map<string, Row[]>;

/** Tumbling or hopping windows with the watermark rule, computed by brute force. */
function referenceFixed(rows: (Row | null)[], size: number, hop: number): { windows: Windows; late: number; bad: number } {
  const windows: Windows = new Map();
  let watermark = -Infinity;
  let late = 0;
  let bad = 0;
  for (const row of rows) {
    if (!row) {
      bad++;
      continue;
    }
    let placed = false;
    for (let start = Math.floor(row.ts / hop) * hop; start > row.ts - size; start -= hop) {
      if (start + size <= watermark) continue;
      placed = true;
      const key = `${start}/${start + size}`;
      windows.set(key, [...(windows.get(key) ?? []), row]);
    }
    if (!placed) late++;
    else watermark = Math.max(watermark, row.ts - LATENESS);
  }
  return { windows, late, bad };
}

/** Session windows per host: accepted events sorted by time, split where the gap reaches GAP. */
function referenceSessions(rows: (Row | null)[]): { windows: Windows; late: number } {
  let watermark = -Infinity;
  let late = 0;
  const accepted: Row[] = [];
  for (const row of rows) {
    if (!row) continue;
    if (row.ts < watermark) {
      late++;
      continue;
    }
    accepted.push(row);
    watermark = Math.max(watermark, row.ts - LATENESS);
  }
  const windows: Windows = new Map();
  const hosts = [...new Set(accepted.map((r) => r.host))];
  for (const host of hosts) {
    const mine = accepted.filter((r) => r.host === host).sort((a, b) => a.ts - b.ts);
    let session: Row[] = [];
    const close = (): void => {
      if (session.length === 0) return;
      const first = session[0]!.ts;
      const last = session[session.length - 1]!.ts;
      windows.set(`${first}/${last + GAP}/${host}`, session);
      session = [];
    };
    for (const row of mine) {
      if (session.length > 0 && row.ts - session[session.length - 1]!.ts >= GAP) close();
      session.push(row);
    }
    close();
  }
  return { windows, late };
}

/** HAVING COUNT(*) >= 2 ORDER BY total DESC, host LIMIT 3, in plain JS. */
function topHosts(rows: Row[]): Record<string, unknown>[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(r.host, [...(groups.get(r.host) ?? []), r]);
  return [...groups.entries()]
    .map(([host, g]) => ({ host, n: g.length, total: g.reduce((a, r) => a + r.bytes, 0), biggest: Math.max(...g.map((r) => r.bytes)) }))
    .filter((g) => g.n >= 2)
    .sort((a, b) => b.total - a.total || (a.host < b.host ? -1 : 1))
    .slice(0, 3);
}

const TOP_QUERY = 'SELECT host, COUNT(*) AS n, SUM(bytes) AS total, MAX(bytes) AS biggest FROM events GROUP BY host HAVING COUNT(*) >= 2 ORDER BY total DESC, host LIMIT 3';

function config(window: SqlStageConfig['window'], query: string): SqlStageConfig {
  return {
    schema: { host: { type: 'varchar', nullable: false }, bytes: { type: 'integer', nullable: false }, ts: { type: 'integer', nullable: false } },
    window, query, tables: {}, batchSize: 64, tick: '50ms', threads: 1,
  };
}

describe('sql stage: every window equals the same aggregation computed in plain JS', function () {
  this.timeout(60000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sql-windows-'));
  const input = path.join(dir, 'input.jsonl');
  writeInput(input, 3000);
  const lines = readFileSync(input, 'utf8').split('\n').filter((l) => l !== '');
  const rows = readInput(input);
  let rig: StageRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(cfg: SqlStageConfig): Promise<StageRig> {
    rig = new StageRig(cfg);
    await rig.start();
    await rig.feed(lines);
    await rig.stage.closeAll();
    return rig;
  }

  it('tumbling 1 s on event time, with out-of-order, late and bad records: top hosts per window', async () => {
    const expected = referenceFixed(rows, SIZE, SIZE);
    const r = await run(config({ type: 'tumbling', size: '1s', time: 'event', field: 'ts', lateness: `${LATENESS}ms` }, TOP_QUERY));
    const results = await r.take(r.results);
    const want = new Map([...expected.windows].map(([k, v]) => [k, topHosts(v)] as const).filter(([, v]) => v.length > 0));
    expect(Object.fromEntries(byWindow(results))).to.deep.equal(Object.fromEntries(want));
    expect(expected.late, 'the input has late events').to.be.greaterThan(5);
    expect(r.context.metrics.get('EventLateCount')).to.equal(expected.late);
    expect(r.context.metrics.get('EventBadCount')).to.equal(expected.bad);
    expect((await r.take(r.dead)).length).to.equal(expected.late + expected.bad);
    for (const e of results) expect(e.headers.windowId).to.equal(`stats:${e.headers.windowStart}:${e.headers.windowEnd}`);
  });

  it('hopping 1.2 s every 400 ms on event time: each event in each of its open windows', async () => {
    const expected = referenceFixed(rows, HOP_SIZE, HOP);
    const r = await run(config({ type: 'hopping', size: `${HOP_SIZE}ms`, hop: `${HOP}ms`, time: 'event', field: 'ts', lateness: `${LATENESS}ms` }, TOP_QUERY));
    const want = new Map([...expected.windows].map(([k, v]) => [k, topHosts(v)] as const).filter(([, v]) => v.length > 0));
    expect(Object.fromEntries(byWindow(await r.take(r.results)))).to.deep.equal(Object.fromEntries(want));
    expect(r.context.metrics.get('EventLateCount')).to.equal(expected.late);
  });

  it('session windows per host (gap 250 ms) on event time', async () => {
    const expected = referenceSessions(rows);
    const r = await run(config({ type: 'session', gap: `${GAP}ms`, key: 'host', time: 'event', field: 'ts', lateness: `${LATENESS}ms` },
      'SELECT host, COUNT(*) AS n, SUM(bytes) AS total, MIN(ts) AS first, MAX(ts) AS last FROM events GROUP BY host'));
    const results = await r.take(r.results);
    const got = new Map<string, unknown>();
    for (const e of results) {
      const row = JSON.parse(e.body.toString()) as { host: string };
      got.set(`${e.headers.windowStart}/${e.headers.windowEnd}/${row.host}`, row);
    }
    const want = new Map([...expected.windows].map(([k, v]) => [k, {
      host: v[0]!.host, n: v.length, total: v.reduce((a, x) => a + x.bytes, 0), first: v[0]!.ts, last: v[v.length - 1]!.ts,
    }] as const));
    expect(expected.windows.size, 'the input makes several sessions per host').to.be.greaterThan(20);
    expect(Object.fromEntries(got)).to.deep.equal(Object.fromEntries(want));
    expect(r.context.metrics.get('EventLateCount')).to.equal(expected.late);
    expect(new Set(results.map((e) => e.headers.windowId)).size).to.equal(results.length);
  });

  it('joins a reference table from CSV and reloads it when the file changes', async () => {
    const owners = path.join(dir, 'owners.csv');
    writeFileSync(owners, 'host,team\nh0,red\nh1,red\nh2,blue\nh3,blue\nh4,green\n');
    const cfg = { ...config({ type: 'tumbling', size: '1s', time: 'event', field: 'ts', lateness: '0s' }, 'SELECT o.team, COUNT(*) AS n FROM events e JOIN owners o ON e.host = o.host GROUP BY o.team ORDER BY o.team'), tables: { owners: { file: owners } } };
    rig = new StageRig(cfg);
    await rig.start();
    const event = (host: string, ts: number): string => JSON.stringify({ host, bytes: 1, ts });
    await rig.feed([event('h0', T0), event('h2', T0 + 10), event('h4', T0 + 20), event('h0', T0 + 1500)]);
    expect(byWindow(await rig.take(rig.results)).get(`${T0}/${T0 + 1000}`)).to.deep.equal([{ team: 'blue', n: 1 }, { team: 'green', n: 1 }, { team: 'red', n: 1 }]);
    writeFileSync(owners, 'host,team\nh0,ops\nh2,ops\nh4,ops\n');
    await rig.feed([event('h2', T0 + 1600), event('h0', T0 + 3000)]);
    expect(byWindow(await rig.take(rig.results)).get(`${T0 + 1000}/${T0 + 2000}`)).to.deep.equal([{ team: 'ops', n: 2 }]);
  });
});

describe('sql stage: a query that fails on one window\'s data', () => {
  it('skips that window, counts it, and emits the windows after it', async () => {
    const rig = new StageRig({
      schema: { host: 'varchar', ts: 'integer' },
      window: { type: 'tumbling', size: '1s', time: 'event', field: 'ts', lateness: '0s' },
      query: 'SELECT CAST(host AS INTEGER) AS code, COUNT(*) AS n FROM events GROUP BY host',
      tables: {}, batchSize: 10, tick: '50ms', threads: 1,
    });
    try {
      await rig.start();
      const event = (host: string, ts: number): string => JSON.stringify({ host, ts });
      await rig.feed([event('12', T0), event('abc', T0 + 1000), event('13', T0 + 2000), event('14', T0 + 3000)]);
      expect(Object.fromEntries(byWindow(await rig.take(rig.results)))).to.deep.equal({
        [`${T0}/${T0 + 1000}`]: [{ code: 12, n: 1 }],
        [`${T0 + 2000}/${T0 + 3000}`]: [{ code: 13, n: 1 }],
      });
      expect(rig.context.metrics.get('WindowFailCount')).to.equal(1);
    } finally {
      await rig.close();
    }
  });
});

describe('sql stage: event time from the timestamp header', () => {
  it('windows by the Flume timestamp header, and a restart rebuilds them from the checkpoint with the headers', async () => {
    const cfg: SqlStageConfig = {
      schema: { host: 'varchar', stamp: { type: 'integer', from: 'header', field: 'timestamp', nullable: false } },
      window: { type: 'tumbling', size: '1s', time: 'event', field: 'stamp', lateness: '0s' },
      query: 'SELECT host, COUNT(*) AS n, MIN(stamp) AS first FROM events GROUP BY host ORDER BY host',
      tables: {}, batchSize: 10, tick: '50ms', threads: 1,
    };
    const rig = new StageRig(cfg);
    try {
      await rig.start();
      const event = (host: string, at: number) => ({ headers: { timestamp: String(at), other: 'x' }, body: Buffer.from(JSON.stringify({ host })) });
      await rig.stage.prepare([event('a', T0 + 5), event('b', T0 + 10), event('a', T0 + 990)]);
      await rig.stage.commit();
      await rig.stage.prepare([{ headers: {}, body: Buffer.from('{"host":"no-time"}') }]);
      await rig.stage.commit();
      // Restart on the same dataDir: the open window comes back from the checkpoint.
      await rig.stage.stop();
      await rig.stage.start();
      await rig.stage.prepare([event('b', T0 + 1500)]);
      await rig.stage.commit();
      await rig.stage.advance(Date.now());
      expect(Object.fromEntries(byWindow(await rig.take(rig.results)))).to.deep.equal({
        [`${T0}/${T0 + 1000}`]: [{ host: 'a', n: 2, first: T0 + 5 }, { host: 'b', n: 1, first: T0 + 10 }],
      });
      const dead = await rig.take(rig.dead);
      expect(dead.map((e) => e.headers.sluiceStageError)).to.deep.equal(["header 'timestamp' is missing"]);
    } finally {
      await rig.close();
    }
  });
});
