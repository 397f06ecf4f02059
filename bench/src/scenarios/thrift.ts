import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTopology } from '@sluice/config';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BODY = 256;
const BATCH = 1000;
const SLUICE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/cli/dist/src/bin.js');

/**
 * One RPC tier hop of `type` (thrift or avro): this process runs the edge (seq -> memory -> sink)
 * and a `sluice agent` child process the collector (source -> memory -> null). Returns events/s
 * from the edge's start until its sink had every event acknowledged, and the edge's peak RSS.
 */
async function hop(type: 'thrift' | 'avro', sinkExtra: string): Promise<{ elapsed: bigint; peakRssMb: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `sluice-bench-${type}-`));
  const topology = path.join(dir, 'collector.yaml');
  writeFileSync(topology, `
agents:
  collector:
    sources:
      tier: { type: ${type}, bind: 127.0.0.1, port: 0, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: ${BATCH}, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: 'null', channel: mem, batchSize: ${BATCH} }
`);
  const collector = spawn(process.execPath, [SLUICE_BIN, 'agent', '-f', topology, '-n', 'collector', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      collector.once('exit', (code) => reject(new Error(`${type} collector exited with ${code} before listening`)));
      collector.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const line of buffered.split('\n')) {
          if (line.includes(`${type} source listening`)) resolve((JSON.parse(line) as { port: number }).port);
        }
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
      });
    });
    const raw = parseTopology(`
agents:
  edge:
    drainTimeout: 60s
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: ${BATCH}, bodySize: ${BODY}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: ${BATCH}, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: ${type}, channel: mem, hostname: 127.0.0.1, port: ${port}, batchSize: ${BATCH}${sinkExtra} }
`);
    const { agent, elapsed, peakRssMb } = await runUntilDrained(raw, EVENTS, 'edge', 'out');
    await agent.stop(1000);
    return { elapsed, peakRssMb };
  } finally {
    collector.kill('SIGTERM');
    await new Promise((resolve) => (collector.exitCode === null ? collector.once('exit', resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One thrift tier hop (compact protocol, framed, plain TCP), edge process -> collector process,
 * batches of 1000 256-byte events, and in the same run the same hop over avro as the reference
 * (`avroEventsPerSec`). The edge sink counts an event only once the collector committed it.
 */
export async function run(): Promise<BenchResult> {
  const thrift = await hop('thrift', ', protocol: compact');
  const avro = await hop('avro', '');
  return result('thrift', EVENTS, EVENTS * BODY, thrift.elapsed, thrift.peakRssMb, {
    hop: 'edge process -> collector process over loopback, compact protocol',
    batch: BATCH,
    avroEventsPerSec: Math.round(EVENTS / (Number(avro.elapsed) / 1e9)),
    reference: 'avroEventsPerSec: the same hop with the avro sink and source, same run',
  });
}
