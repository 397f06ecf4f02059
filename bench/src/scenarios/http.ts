import http from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Agent } from '@sluice/agent';
import { benchAgent, sourceToNull, sourcePort } from '../run-until-drained.js';
import { result, trackPeakRss, type BenchResult, sinkMetrics, drained, percentile99 } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const BATCH = 100;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const BODY = 200;

/** One Flume JSONHandler request body: 100 events of 200 bytes with two headers. */
function batchBody(): Buffer {
  const events = Array.from({ length: BATCH }, (_, i) => ({ headers: { host: 'web1', seq: String(i) }, body: `event ${i} `.padEnd(BODY, 'x') }));
  return Buffer.from(JSON.stringify(events));
}

/** POSTs `requests` batches one after another on a keep-alive connection; resends on 503. */
async function client(port: number, requests: number, body: Buffer, latencies: number[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < requests; i++) {
      for (;;) {
        const started = process.hrtime.bigint();
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
            res.resume();
            res.once('end', () => resolve(res.statusCode ?? 0));
          });
          req.once('error', reject);
          req.end(body);
        });
        if (status === 200) {
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          break;
        }
        if (status !== 503) throw new Error(`http bench: unexpected status ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  } finally {
    agent.destroy();
  }
}

interface ClientJob { port: number; requests: number[] }

if (!isMainThread && (workerData as { httpBenchClients?: unknown } | null)?.httpBenchClients) {
  const { port, requests } = (workerData as { httpBenchClients: ClientJob }).httpBenchClients;
  const body = batchBody();
  const latencies: number[] = [];
  await Promise.all(requests.map((n) => client(port, n, body, latencies)));
  parentPort!.postMessage(latencies);
}

/** Runs the concurrent clients on a worker thread, so they do not compete with the agent's event loop. */
async function runClients(port: number, requests: number[]): Promise<number[]> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { httpBenchClients: { port, requests } } });
  const latencies = await new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  return latencies;
}

/** http source -> memory -> null, Flume-format batches of 100 events from several concurrent keep-alive clients. */
export async function run(): Promise<BenchResult> {
  const { agent } = await benchAgent(sourceToNull('{ type: http, bind: 127.0.0.1, port: 0 }'));
  await agent.start();
  const port = sourcePort(agent);
  const sink = sinkMetrics(agent, 'out');
  const requests = Math.ceil(EVENTS / BATCH);
  const events = requests * BATCH;
  const rss = trackPeakRss();
  const started = process.hrtime.bigint();
  const latencies = await runClients(port, Array.from({ length: CLIENTS }, (_, c) => Math.floor(requests / CLIENTS) + (c < requests % CLIENTS ? 1 : 0)));
  await drained(sink, events);
  const elapsed = process.hrtime.bigint() - started;
  const peak = rss.stop();
  await agent.stop(1000);
  const p99 = percentile99(latencies);
  return result('http', events, events * BODY, elapsed, peak, { p99LatencyMs: Math.round(p99 * 100) / 100, clients: CLIENTS, batchSize: BATCH, note: 'clients on a worker thread of the agent process' });
}
