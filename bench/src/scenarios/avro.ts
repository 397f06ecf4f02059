import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTopology } from '@sluice/config';
import { Agent, loadTopology } from '@sluice/agent';
import { result, trackPeakRss, type BenchResult, sinkMetrics, drained, percentile99 } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 3_000_000);
const BODY = 256;
const BATCH = 1000;
const SLUICE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/cli/dist/src/bin.js');

/**
 * One Avro tier hop, as deployed: an edge agent (this process: seq -> memory -> avro sink) sends
 * to a collector agent in its own `sluice agent` process (avro source -> memory -> null), batches
 * of 1000, 256-byte events. The edge sink commits a batch only after the collector answered OK,
 * i.e. after the collector's channel committed it, so the edge's EventDrainSuccessCount counts
 * events that completed the hop. peakRssMb is the edge's.
 */
export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-avro-'));
  const topology = path.join(dir, 'collector.yaml');
  writeFileSync(topology, `
agents:
  collector:
    sources:
      tier: { type: avro, bind: 127.0.0.1, port: 0, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: ${BATCH}, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: 'null', channel: mem, batchSize: ${BATCH} }
`);
  const collector = spawn(process.execPath, [SLUICE_BIN, 'agent', '-f', topology, '-n', 'collector', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      collector.once('exit', (code) => reject(new Error(`collector exited with ${code} before listening`)));
      collector.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const line of buffered.split('\n')) {
          if (!line.includes('avro source listening')) continue;
          resolve((JSON.parse(line) as { port: number }).port);
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
      hop: { type: avro, channel: mem, hostname: 127.0.0.1, port: ${port}, batchSize: ${BATCH} }
`);
    const { model, catalog } = await loadTopology(raw);
    const agent = new Agent(model.agents.edge!, catalog);
    // Batches keep their size and FIFO order through the memory channel, so the k-th batch the
    // seq source committed is the k-th the sink had acknowledged: their time difference is the
    // latency of those events from the edge channel to the collector's commit.
    const received: number[] = [];
    const latencies: number[] = [];
    const subscription = agent.telemetry.events$.subscribe((event) => {
      if (event.type === 'source.events_received') received.push(performance.now());
      else if (event.type === 'sink.events_sent') latencies.push(performance.now() - received[latencies.length]!);
    });
    const rss = trackPeakRss();
    const started = process.hrtime.bigint();
    await agent.start();
    const sink = sinkMetrics(agent, 'hop');
    await drained(sink, EVENTS);
    const elapsed = process.hrtime.bigint() - started;
    const peak = rss.stop();
    subscription.unsubscribe();
    await agent.stop(1000);
    const p99 = percentile99(latencies);
    return result('avro', EVENTS, EVENTS * BODY, elapsed, peak, {
      p99LatencyMs: Math.round(p99 * 100) / 100,
      hop: 'edge process -> collector process over loopback',
      batch: BATCH,
      note: 'p99LatencyMs: from the seq source committing a batch at the edge to the collector acknowledging it, with the edge saturated (includes queueing in the edge channel)',
    });
  } finally {
    collector.kill('SIGTERM');
    await new Promise((resolve) => (collector.exitCode === null ? collector.once('exit', resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}
