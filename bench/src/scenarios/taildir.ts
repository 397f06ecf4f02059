import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTopology } from '@sluice/config';
import { Agent, loadTopology } from '@sluice/agent';
import { result, trackPeakRss, type BenchResult } from '../result.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const LINE = 100;

/**
 * A writer process appends EVENTS lines of 100 bytes (newline included) to one file as fast as it
 * can, in 1 MiB writes, while taildir (batches of 1000) follows it into a memory channel drained
 * by the null sink. Measured from agent start to the last line drained.
 */
export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-taildir-'));
  const log = path.join(dir, 'app.log');
  const writerCode = `
    const fs = require('node:fs');
    const fd = fs.openSync(${JSON.stringify(log)}, 'a');
    const perChunk = Math.floor(1048576 / ${LINE});
    const pad = 'x'.repeat(${LINE} - 18);
    let n = 0;
    while (n < ${EVENTS}) {
      const lines = [];
      for (let i = 0; i < perChunk && n < ${EVENTS}; i++, n++) lines.push('line ' + String(n).padStart(12, '0') + pad + '\\n');
      fs.writeSync(fd, lines.join(''));
    }
    fs.closeSync(fd);`;
  const raw = parseTopology(`
agents:
  bench:
    drainTimeout: 60s
    sources:
      tail: { type: taildir, filegroups: { app: "${log}" }, positionFile: "${dir}/positions.json", batchSize: 1000, pollInterval: 100ms, channels: [mem] }
    channels:
      mem: { type: memory, capacity: 100000, transactionCapacity: 1000, byteCapacity: '0', keepAlive: 1s }
    sinks:
      out: { type: 'null', channel: mem, batchSize: 1000 }
`);
  const { model, catalog } = await loadTopology(raw);
  const agent = new Agent(model.agents.bench!, catalog);
  const rss = trackPeakRss();
  const started = process.hrtime.bigint();
  const writer = spawn(process.execPath, ['-e', writerCode], { stdio: 'inherit' });
  await agent.start();
  const sink = agent.metrics.find((m) => m.kind === 'SINK' && m.name === 'out')!;
  while (sink.get('EventDrainSuccessCount') < EVENTS) await new Promise((resolve) => setTimeout(resolve, 5));
  const elapsed = process.hrtime.bigint() - started;
  const peak = rss.stop();
  await new Promise((resolve) => (writer.exitCode === null ? writer.once('exit', resolve) : resolve(undefined)));
  await agent.stop(1000);
  rmSync(dir, { recursive: true, force: true });
  return result('taildir', EVENTS, EVENTS * LINE, elapsed, peak, { linesPerSec: Math.round(EVENTS / (Number(elapsed) / 1e9)), lineBytes: LINE });
}
