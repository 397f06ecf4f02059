import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseTopology } from '@sluice/config';
import { Agent } from '@sluice/agent';
import { benchAgent } from '../run-until-drained.js';
import { BatchSink, defineComponent, definePlugin, type SluiceEvent } from '@sluice/core';
import { AvroRpcClient } from '@sluice/plugin-avro';
import { result, type BenchResult } from '../result.js';

type SourceKind = 'netcat' | 'syslog_tcp' | 'http' | 'avro';
const SOURCES: SourceKind[] = ['netcat', 'syslog_tcp', 'http', 'avro'];
const CHANNELS = ['memory', 'file'] as const;
/** Events sent flat out to measure a source's maximum rate. */
const MAX_EVENTS = Number(process.env.BENCH_LATENCY_MAX_EVENTS ?? 50_000);
/** How long the 50% load runs. */
const LOAD_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 3);
/** Largest batch one send carries (lines written at once, events per request or Avro call). */
const MAX_SEND_BATCH = 500;
const TARGET_P99_MS = { memory: 10, file: 25 };

/** Wall clock shared by the sender thread and the agent's thread, in ms with µs precision. */
const now = (): number => performance.timeOrigin + performance.now();

/** A sink that records, per event, the time from the client stamping it (`t=<ms>` in the body) to the sink taking it. */
class LatencyProbeSink extends BatchSink {
  static latencies: number[] = [];
  protected async write(events: SluiceEvent[]): Promise<void> {
    const at = now();
    for (const event of events) {
      const text = event.body.toString('latin1');
      const i = text.indexOf('t=');
      if (i >= 0) LatencyProbeSink.latencies.push(at - Number.parseFloat(text.slice(i + 2)));
    }
  }
}

const probePlugin = definePlugin({
  name: 'bench-latency-probe',
  core: '^0.1.0',
  components: [defineComponent<'sink', { batchSize: number }>({
    kind: 'sink',
    type: 'latency_probe',
    description: 'Bench only: records send-to-sink latency from a t=<ms> stamp in each body.',
    guarantee: 'Discards events.',
    schema: { type: 'object', additionalProperties: false, properties: { batchSize: { type: 'integer', minimum: 1, default: 1000, description: 'Events per take.' } }, required: ['batchSize'] },
    create: (config, ctx) => new LatencyProbeSink(ctx, config.batchSize),
  })],
});

/** Sends `count` stamped events to a source at `rate` events/s (Infinity: as fast as the source takes them). */
async function send(kind: SourceKind, port: number, count: number, rate: number): Promise<void> {
  let write: (n: number) => Promise<void>;
  let close: () => Promise<void>;
  if (kind === 'netcat' || kind === 'syslog_tcp') {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let acked = 0;
    socket.on('data', (chunk: Buffer) => { for (const b of chunk) if (b === 0x0a) acked++; });
    const prefix = kind === 'syslog_tcp' ? '<134>Nov 26 07:49:31 benchhost app[4242]: ' : '';
    write = async (n) => {
      const t = now().toFixed(3);
      const line = `${prefix}t=${t} ${'x'.repeat(100)}\n`;
      if (!socket.write(line.repeat(n))) await new Promise((resolve) => socket.once('drain', resolve));
    };
    close = async () => {
      if (kind === 'netcat') while (acked < count) await new Promise((resolve) => setTimeout(resolve, 1));
      await new Promise<void>((resolve) => socket.end(resolve));
    };
  } else if (kind === 'http') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const inFlight = new Set<Promise<void>>();
    const post = (body: string): Promise<void> => new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`http status ${res.statusCode}`))));
      });
      req.once('error', reject);
      req.end(body);
    });
    write = async (n) => {
      const event = JSON.stringify({ headers: {}, body: `t=${now().toFixed(3)} ${'x'.repeat(100)}` });
      const request = post(`[${Array(n).fill(event).join(',')}]`).finally(() => inFlight.delete(request));
      inFlight.add(request);
      if (inFlight.size >= 4) await Promise.race(inFlight);
    };
    close = async () => {
      await Promise.all(inFlight);
      agent.destroy();
    };
  } else {
    const client = await AvroRpcClient.connect({ host: '127.0.0.1', port, connectTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    write = async (n) => {
      const body = Buffer.from(`t=${now().toFixed(3)} ${'x'.repeat(100)}`);
      const status = await client.appendBatch(Array.from({ length: n }, () => ({ headers: {}, body })));
      if (status !== 'OK') throw new Error(`avro call answered ${status}`);
    };
    close = async () => client.close();
  }
  const start = now();
  let sent = 0;
  while (sent < count) {
    const due = rate === Infinity ? count : Math.min(count, Math.floor(((now() - start) * rate) / 1000));
    if (due > sent) {
      const n = Math.min(MAX_SEND_BATCH, due - sent);
      await write(n);
      sent += n;
    } else {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  await close();
}

if (!isMainThread && (workerData as { latencySender?: unknown } | null)?.latencySender) {
  const { kind, port, count, rate } = (workerData as { latencySender: { kind: SourceKind; port: number; count: number; rate: number | null } }).latencySender;
  await send(kind, port, count, rate ?? Infinity);
  parentPort!.postMessage('done');
}

function sendFromWorker(kind: SourceKind, port: number, count: number, rate: number): Promise<void> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { latencySender: { kind, port, count, rate: rate === Infinity ? null : rate } } });
  return new Promise<void>((resolve, reject) => {
    worker.once('message', () => void worker.terminate().then(() => resolve()));
    worker.once('error', reject);
  });
}

function sourceConfig(kind: SourceKind): string {
  if (kind === 'syslog_tcp') return '{ type: syslog_tcp, host: 127.0.0.1, port: 0, channels: [c] }';
  return `{ type: ${kind}, bind: 127.0.0.1, port: 0, channels: [c] }`;
}

function channelConfig(channel: 'memory' | 'file', dir: string): string {
  return channel === 'memory'
    ? '{ type: memory, capacity: 200000, transactionCapacity: 1000 }'
    : `{ type: file, dataDir: ${JSON.stringify(dir)}, minFreeSpace: '0', transactionCapacity: 1000 }`;
}

function percentile(sorted: number[], p: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 100) / 100;
}

async function waitFor(count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (LatencyProbeSink.latencies.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  if (LatencyProbeSink.latencies.length < count) throw new Error(`only ${LatencyProbeSink.latencies.length} of ${count} events reached the sink`);
}

/** One source on one channel: its maximum rate, then p50/p99/p999 at half of it. */
async function measure(kind: SourceKind, channel: 'memory' | 'file', dir: string): Promise<Record<string, number>> {
  const raw = parseTopology(`
agents:
  lat:
    sources: { s: ${sourceConfig(kind)} }
    channels: { c: ${channelConfig(channel, path.join(dir, `${kind}-${channel}`))} }
    sinks: { k: { type: latency_probe, channel: c, batchSize: 1000 } }
`);
  const { agent } = await benchAgent(raw, 'lat', { extraPlugins: [probePlugin] });
  await agent.start();
  try {
    const port = (agent.sources.get('s')!.source as unknown as { port: number }).port;
    LatencyProbeSink.latencies = [];
    const t0 = now();
    await sendFromWorker(kind, port, MAX_EVENTS, Infinity);
    await waitFor(MAX_EVENTS);
    const maxPerSec = Math.round(MAX_EVENTS / ((now() - t0) / 1000));
    const rate = Math.max(100, Math.round(maxPerSec / 2));
    const count = Math.round(rate * LOAD_SECONDS);
    LatencyProbeSink.latencies = [];
    await sendFromWorker(kind, port, count, rate);
    await waitFor(count);
    const sorted = LatencyProbeSink.latencies.sort((a, b) => a - b);
    return { maxPerSec, loadPerSec: rate, events: count, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), p999Ms: percentile(sorted, 0.999) };
  } finally {
    await agent.stop(1000);
  }
}

/**
 * Latency under load: each network source (netcat, syslog_tcp, http, avro) on the memory channel
 * and on the file channel (fsync on every commit): first its maximum rate with one client sending
 * flat out, then 50% of that rate for BENCH_LATENCY_SECONDS, recording per event the time from the
 * client stamping it to the sink taking it out of the channel (the source committed it before:
 * fsync included on the file channel). Prints p50/p99/p999 per pair against the targets (p99 at
 * most 10 ms on memory, 25 ms on file). Sender and agent share one process (the sender on a worker
 * thread), so both read the same clock.
 */
export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-latency-'));
  const pairs: Record<string, Record<string, number | boolean | string>> = {};
  let events = 0;
  const started = process.hrtime.bigint();
  try {
    for (const channel of CHANNELS) {
      for (const kind of SOURCES) {
        try {
          const measured = await measure(kind, channel, dir);
          events += measured.events!;
          pairs[`${kind}/${channel}`] = { ...measured, p99Met: measured.p99Ms! <= TARGET_P99_MS[channel] };
        } catch (error) {
          pairs[`${kind}/${channel}`] = { error: (error as Error).message };
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const allP99 = Object.values(pairs).map((p) => p.p99Ms).filter((v): v is number => typeof v === 'number');
  return result('latency', events, 0, process.hrtime.bigint() - started, Math.round((process.memoryUsage.rss() / 1024 / 1024) * 10) / 10, {
    p99LatencyMs: allP99.length > 0 ? Math.max(...allP99) : null,
    pairs,
    targets: { memoryP99Ms: TARGET_P99_MS.memory, fileP99Ms: TARGET_P99_MS.file },
    allTargetsMet: Object.values(pairs).every((p) => p.p99Met === true),
  });
}
