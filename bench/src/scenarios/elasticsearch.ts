import http from 'node:http';
import { parseTopology } from '@sluice/config';
import { BulkTestServer } from '@sluice/testkit';
import { result, type BenchResult } from '../result.js';
import { runUntilDrained } from '../run-until-drained.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const BODY = 256;
const BATCH = 1000;

/** POSTs one bulk body on a keep-alive connection and resolves when the whole answer is read. */
function postBulk(agent: http.Agent, port: number, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/_bulk', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': body.length } }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`bulk answered ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/**
 * seq -> memory -> elasticsearch, 256-byte events in bulk requests of 1000 (Flume's logstash
 * document format, daily index), against the testkit's bulk API server on 127.0.0.1. The same-run
 * reference is the ceiling of that server: the same number of documents sent as prepared bulk
 * bodies by a bare keep-alive HTTP client, so the ratio is what the sink costs on top.
 */
export async function run(): Promise<BenchResult> {
  const server = await BulkTestServer.start();
  const port = Number(new URL(server.url).port);
  try {
    const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    sources:
      seq: { type: seq, count: ${EVENTS}, batchSize: ${BATCH}, bodySize: ${BODY}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: ${BATCH}, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: elasticsearch, channel: mem, hostNames: ['${server.url}'], indexName: bench, batchSize: ${BATCH} }
`);
    const { agent, elapsed, peakRssMb } = await runUntilDrained(raw, EVENTS);
    await agent.stop(5000);
    const indexed = server.documents().length;

    // The ceiling: the same documents as prepared bulk bodies, no agent in between.
    const line = `${JSON.stringify({ index: { _index: 'ceiling' } })}\n${JSON.stringify({ '@message': 'x'.repeat(BODY), '@fields': { seq: '0' } })}\n`;
    const body = Buffer.from(line.repeat(BATCH));
    const client = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const started = process.hrtime.bigint();
    for (let sent = 0; sent < EVENTS; sent += BATCH) await postBulk(client, port, body);
    const ceilingSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    client.destroy();
    const ceilingEventsPerSec = Math.round(EVENTS / ceilingSeconds);
    const measured = result('elasticsearch', EVENTS, EVENTS * BODY, elapsed, peakRssMb, { indexed, peer: 'testkit BulkTestServer', ceilingEventsPerSec });
    return { ...measured, ratioToCeiling: Math.round((measured.eventsPerSec / ceilingEventsPerSec) * 100) / 100 };
  } finally {
    await server.stop();
  }
}
