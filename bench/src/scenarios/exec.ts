import { spawn } from 'node:child_process';
import { parseTopology } from '@sluice/config';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const BATCH = 1000;

/** Reads the whole output of `seq 1 n` from a pipe in this process and counts its lines: the ceiling for exec. */
async function rawPipeRead(n: number): Promise<{ lines: number; seconds: number }> {
  const started = process.hrtime.bigint();
  const child = spawn('seq', ['1', String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lines = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
  }
  return { lines, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/**
 * `seq 1 N` through the exec source -> memory -> null, batches of 1000 (start-up and the spawn
 * included). Same-run reference: the same command's output read from a pipe by this process and
 * split into lines with no agent around it (`pipeLinesPerSec`).
 */
export async function run(): Promise<BenchResult> {
  const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    sources:
      cmd: { type: exec, command: 'seq 1 ${EVENTS}', batchSize: ${BATCH}, batchTimeout: 100ms, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: ${BATCH}, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: 'null', channel: mem, batchSize: ${BATCH} }
`);
  const { agent, elapsed, peakRssMb } = await runUntilDrained(raw, EVENTS);
  await agent.stop(1000);
  const reference = await rawPipeRead(EVENTS);
  if (reference.lines !== EVENTS) throw new Error(`reference read ${reference.lines} lines of seq 1 ${EVENTS}`);
  const bytes = Buffer.byteLength(Array.from({ length: 10 }, (_, i) => String(EVENTS - i)).join('\n')) / 10 * EVENTS; // ~ bytes of seq's output
  return result('exec', EVENTS, bytes, elapsed, peakRssMb, {
    batch: BATCH,
    pipeLinesPerSec: Math.round(EVENTS / reference.seconds),
    reference: 'pipeLinesPerSec: seq 1 N read from a pipe and split into lines by this process, no agent (same run)',
  });
}
