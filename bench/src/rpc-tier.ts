import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SLUICE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packages/cli/dist/src/bin.js');

/** The RPC tiers a hop scenario can measure. */
export type RpcTier = 'avro' | 'thrift';

/** Size of the traffic of one hop: `events` events of `body` bytes, sent in batches of `batch`. */
export interface HopTraffic {
  events: number;
  body: number;
  batch: number;
}

/**
 * Runs `use` against a collector agent of one RPC tier hop: a `sluice agent` child process with a
 * `tier` source on a free loopback port -> memory -> null, `batch` events per transaction.
 * Resolves what `use` resolves, given the port the collector logged; the collector is stopped and
 * its temporary directory removed either way.
 */
export async function withCollector<T>(tier: RpcTier, batch: number, use: (port: number) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `sluice-bench-${tier}-`));
  const topology = path.join(dir, 'collector.yaml');
  writeFileSync(topology, `
agents:
  collector:
    sources:
      tier: { type: ${tier}, bind: 127.0.0.1, port: 0, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: ${batch}, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: 'null', channel: mem, batchSize: ${batch} }
`);
  const collector = spawn(process.execPath, [SLUICE_BIN, 'agent', '-f', topology, '-n', 'collector', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      collector.once('exit', (code) => reject(new Error(`${tier} collector exited with ${code} before listening`)));
      collector.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const line of buffered.split('\n')) {
          if (line.includes(`${tier} source listening`)) resolve((JSON.parse(line) as { port: number }).port);
        }
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
      });
    });
    return await use(port);
  } finally {
    collector.kill('SIGTERM');
    await new Promise((resolve) => (collector.exitCode === null ? collector.once('exit', resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * YAML of the edge of a hop, agent `edge`: seq -> memory -> a `tier` sink `out` sending to the
 * collector on `port`; `sinkExtra` adds settings to the sink (', protocol: compact').
 */
export function edgeTopology(tier: RpcTier, port: number, traffic: HopTraffic, sinkExtra = ''): string {
  const { events, body, batch } = traffic;
  return `
agents:
  edge:
    drainTimeout: 60s
    sources:
      seq: { type: seq, count: ${events}, batchSize: ${batch}, bodySize: ${body}, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: ${batch}, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: ${tier}, channel: mem, hostname: 127.0.0.1, port: ${port}, batchSize: ${batch}${sinkExtra} }
`;
}
