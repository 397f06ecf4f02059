import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createComponentContext, createEvent, createStageEmit, memoryChannel, StageRunner, type Channel, type MemoryChannel, type SluiceEvent,
} from '@sluice/core';
import { result, trackPeakRss, type BenchResult } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
// Five rounds: on a shared machine one scheduling stall can halve a single pass, on either side.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BODY = 256;
const HOSTS = 50;
const BATCH = Number(process.env.BENCH_BATCH ?? 5000);
/** The stage should reach this share of the ceiling (issue #19). */
const TARGET = 0.5;

/** What the bench uses of @sluice/plugin-sql (imported like the agent does: on demand). */
interface SqlPlugin {
  SqlStage: new (config: unknown, ctx: unknown) => import('@sluice/core').Stage;
}

/** 256-byte JSON access records: host, bytes, status, path, padded. */
function bodies(count: number): { events: SluiceEvent[]; rows: [string, number][] } {
  const events: SluiceEvent[] = [];
  const rows: [string, number][] = [];
  for (let i = 0; i < count; i++) {
    const host = `web-${String(i % HOSTS).padStart(2, '0')}`;
    const bytes = (i * 7919) % 100_000;
    const head = `{"host":"${host}","bytes":${bytes},"status":${i % 20 === 0 ? 500 : 200},"path":"/api/v1/items/${i % 1000}","agent":"`;
    const json = `${head}${'x'.repeat(BODY - head.length - 2)}"}`;
    events.push(createEvent(json));
    rows.push([host, bytes]);
  }
  return { events, rows };
}

type Ingest = (rows: [string, number][]) => Promise<{ perSec: number; perCpuSec: number }>;

/**
 * DuckDB taking the same rows, already parsed, from JS into a fresh in-memory table, then running
 * the query once; `append` feeds the appender.
 */
async function duckdbIngest(rows: [string, number][], append: (duckdb: DuckDB, appender: Appender) => void): Promise<{ perSec: number; perCpuSec: number }> {
  const duckdb = await import('@duckdb/node-api' as string) as DuckDB;
  const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  await connection.run('CREATE TABLE events (host VARCHAR, bytes BIGINT)');
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const appender = await connection.createAppender('events');
  append(duckdb, appender);
  appender.closeSync();
  await connection.runAndReadAll('SELECT host, COUNT(*), AVG(bytes) FROM events GROUP BY host');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  connection.closeSync();
  instance.closeSync();
  return { perSec: Math.round(rows.length / seconds), perCpuSec: Math.round(rows.length / ((used.user + used.system) / 1e6)) };
}

type DuckDB = typeof import('@duckdb/node-api');
type Appender = import('@duckdb/node-api').DuckDBAppender;

/** Ceiling one: the appender's row API with typed values (what most DuckDB clients write). */
const rowAppender: Ingest = (rows) => duckdbIngest(rows, (_duckdb, appender) => {
  for (const [host, bytes] of rows) {
    appender.appendVarchar(host);
    appender.appendBigInt(BigInt(bytes));
    appender.endRow();
  }
});

/**
 * Ceiling two: the appender fed whole data chunks, the way the stage feeds it (integers into a
 * typed array copied once per chunk, one native call per string). Faster than the row API.
 */
const chunkAppender = async (rows: [string, number][]): Promise<{ perSec: number; perCpuSec: number }> => {
  const bindings = (await import('@duckdb/node-bindings' as string) as { default: typeof import('@duckdb/node-bindings') }).default;
  return duckdbIngest(rows, (duckdb, appender) => {
    const capacity = bindings.vector_size();
    const chunk = duckdb.DuckDBDataChunk.create([duckdb.VARCHAR, duckdb.BIGINT]);
    const hosts = bindings.data_chunk_get_vector(chunk.chunk, 0);
    const bytesVector = bindings.data_chunk_get_vector(chunk.chunk, 1);
    const bytes = new BigInt64Array(capacity);
    for (let at = 0; at < rows.length; at += capacity) {
      const n = Math.min(capacity, rows.length - at);
      for (let i = 0; i < n; i++) {
        const row = rows[at + i]!;
        bindings.vector_assign_string_element(hosts, i, row[0]);
        bytes[i] = BigInt(row[1]);
      }
      bindings.copy_data_to_vector(bytesVector, 0, bytes.buffer, 0, n * 8);
      bindings.data_chunk_set_size(chunk.chunk, n);
      appender.appendDataChunk(chunk);
      bindings.data_chunk_reset(chunk.chunk);
    }
  });
};

const channel = (name: string, capacity: number): MemoryChannel => memoryChannel.create(
  { capacity, transactionCapacity: Math.min(capacity, 10_000), byteCapacity: '0', keepAlive: '0' },
  createComponentContext({ name, kind: 'CHANNEL' }),
) as MemoryChannel;

/**
 * A sql stage with a tumbling 10 s `COUNT(*), AVG(bytes) GROUP BY host` over 256-byte JSON events
 * taken from a memory channel in batches of 5000 (each batch checkpointed with an fsync, as in
 * production). Reports the stage's input events/s, and in the same run DuckDB's own ingest of the
 * same rows, already parsed, from JS as the ceiling: the faster of the appender's row API and
 * whole data chunks (`ceilingEventsPerSec`, `ofCeiling`, each also on its own). Peak RSS is the
 * process's during the best stage pass (the input events themselves are held in memory).
 */
export async function run(): Promise<BenchResult> {
  const { SqlStage } = await import('@sluice/plugin-sql' as string) as SqlPlugin;
  const { events, rows } = bodies(EVENTS);
  // The machine may be shared: alternate the measurements and keep each one's best.
  const ceilings = { rowAppender: { perSec: 0, perCpuSec: 0 }, chunkAppender: { perSec: 0, perCpuSec: 0 } };
  let best: { elapsed: bigint; peakRssMb: number; cpuSeconds: number } | undefined;
  let bestCpu = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, ingest] of [['rowAppender', rowAppender], ['chunkAppender', chunkAppender]] as const) {
      const peer = await ingest(rows);
      ceilings[name].perSec = Math.max(ceilings[name].perSec, peer.perSec);
      ceilings[name].perCpuSec = Math.max(ceilings[name].perCpuSec, peer.perCpuSec);
    }
    const measured = await stageRun(SqlStage, events);
    if (!best || measured.elapsed < best.elapsed) best = measured;
    bestCpu = Math.min(bestCpu, measured.cpuSeconds);
  }
  const perCpuSec = Math.round(EVENTS / bestCpu);
  const out = result('sql', EVENTS, EVENTS * BODY, best!.elapsed, best!.peakRssMb);
  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  const ceiling = Math.max(ceilings.rowAppender.perSec, ceilings.chunkAppender.perSec);
  const ceilingCpu = Math.max(ceilings.rowAppender.perCpuSec, ceilings.chunkAppender.perCpuSec);
  return {
    ...out, batchSize: BATCH, rounds: ROUNDS,
    ceilingEventsPerSec: ceiling, ofCeiling: ratio(out.eventsPerSec, ceiling), target: TARGET, meetsTarget: ratio(out.eventsPerSec, ceiling) >= TARGET,
    // Per CPU second (user + system of this process): what the rates would be on an idle core.
    eventsPerCpuSec: perCpuSec, ceilingEventsPerCpuSec: ceilingCpu, ofCeilingCpu: ratio(perCpuSec, ceilingCpu),
    rowAppenderEventsPerSec: ceilings.rowAppender.perSec, ofRowAppender: ratio(out.eventsPerSec, ceilings.rowAppender.perSec),
    chunkAppenderEventsPerSec: ceilings.chunkAppender.perSec, ofChunkAppender: ratio(out.eventsPerSec, ceilings.chunkAppender.perSec),
    reference: 'DuckDB ingest of the same (host, bytes) rows from JS, same process: the faster of the appender row API and whole data chunks (best of the rounds for each)',
  };
}

/** One timed pass: a fresh stage takes every event from a pre-filled memory channel. */
async function stageRun(SqlStage: SqlPlugin['SqlStage'], events: SluiceEvent[]): Promise<{ elapsed: bigint; peakRssMb: number; cpuSeconds: number }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-bench-sql-'));
  const input = channel('raw', EVENTS);
  const results = channel('results', 100_000);
  await input.start();
  await results.start();
  for (let i = 0; i < events.length; i += 10_000) {
    const tx = input.transaction();
    tx.put(events.slice(i, i + 10_000));
    await tx.commit();
  }
  const outputs = new Map<string, Channel>([['results', results]]);
  const ctx = { ...createComponentContext({ name: 'stats', kind: 'STAGE', dataDir }), channel: input, outputs, emit: createStageEmit(outputs, 1000) };
  const stage = new SqlStage({
    schema: { host: 'varchar', bytes: 'integer' },
    window: { type: 'tumbling', size: '10s', time: 'processing', lateness: '0s' },
    query: 'SELECT host, COUNT(*) AS n, AVG(bytes) AS avg_bytes FROM events GROUP BY host',
    tables: {}, batchSize: BATCH, tick: '100ms', threads: 1,
  }, ctx);
  const rss = trackPeakRss();
  await stage.start();
  const runner = new StageRunner(stage, { name: 'stats', channel: input, logger: ctx.logger, metrics: ctx.metrics, batchSize: BATCH, tickMs: 100 });
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  while (await runner.step() > 0);
  const elapsed = process.hrtime.bigint() - started;
  const used = process.cpuUsage(cpu);
  const peakRssMb = rss.stop();
  await stage.stop();
  await input.stop();
  await results.stop();
  await rm(dataDir, { recursive: true, force: true });
  return { elapsed, peakRssMb, cpuSeconds: (used.user + used.system) / 1e6 };
}
