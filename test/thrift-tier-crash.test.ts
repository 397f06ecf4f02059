import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { AgentProcess, TempDir } from './helpers/agent-process.js';

const PER_EDGE = 8000;
const EDGE_STARTS = [0, 1_000_000];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sequence number -> times it is in the collector's file_roll output. */
function counts(dir: string): Map<number, number> {
  const seen = new Map<number, number>();
  if (!existsSync(dir)) return seen;
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (line !== '') seen.set(Number(line), (seen.get(Number(line)) ?? 0) + 1);
    }
  }
  return seen;
}

describe('thrift tier: two edge agents -> a collector agent over thrift, collector SIGKILLed and restarted mid-stream @slow', function () {
  this.timeout(90000);
  const tmp = new TempDir();
  const agents: AgentProcess[] = [];
  after(async () => {
    await Promise.all(agents.map((a) => a.kill()));
    tmp.cleanup();
  });

  it('every sequence number of both edges reaches the collector\'s output at least once', async () => {
    const port = await freePort();
    const out = path.join(tmp.path, 'out');
    const collectorFile = tmp.write('collector.yaml', `
agents:
  collector:
    sources:
      tier: { type: thrift, bind: 127.0.0.1, port: ${port}, protocol: compact, channels: [disk] }
    channels:
      disk: { type: file, dataDir: ${path.join(tmp.path, 'collector-disk')}, minFreeSpace: '0', transactionCapacity: 1000 }
    sinks:
      files: { type: file_roll, channel: disk, directory: ${out}, rollInterval: 1h, batchSize: 200 }
`);
    const edgeFile = (start: number) => tmp.write(`edge-${start}.yaml`, `
agents:
  edge:
    sources:
      numbers: { type: seq, start: ${start}, count: ${PER_EDGE}, batchSize: 50, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000 }
    sinks:
      hop: { type: thrift, channel: mem, hostname: 127.0.0.1, port: ${port}, protocol: compact, batchSize: 25, connectTimeout: 2s, requestTimeout: 5s, reconnectBackoff: 100ms, maxReconnectBackoff: 500ms }
`);
    let collector = AgentProcess.start(collectorFile, 'collector');
    agents.push(collector);
    await collector.started();
    for (const start of EDGE_STARTS) {
      const edge = AgentProcess.start(edgeFile(start), 'edge');
      agents.push(edge);
      await edge.started();
    }
    const total = PER_EDGE * EDGE_STARTS.length;
    const deadline = Date.now() + 30000;
    while (counts(out).size < total / 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await collector.kill();
    const atKill = counts(out).size;
    expect(atKill, 'the collector was killed mid-stream').to.be.below(total);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the edges see the collector gone and retry
    collector = AgentProcess.start(collectorFile, 'collector');
    agents.push(collector);
    await collector.started();
    const end = Date.now() + 45000;
    while (counts(out).size < total && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 100));
    const seen = counts(out);
    const missing = EDGE_STARTS.flatMap((start) => Array.from({ length: PER_EDGE }, (_, i) => start + i)).filter((n) => !seen.has(n));
    expect(missing.slice(0, 20), `${missing.length} sequence numbers missing (output had ${atKill} when the collector was killed)`).to.deep.equal([]);
    expect(seen.size).to.equal(total);
  });
});
