import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchAgent, sourceToNull } from '../run-until-drained.js';
import { result, trackPeakRss, type BenchResult, sinkMetrics, drained } from '../result.js';

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
  // The writer repeats one pre-built 1 MiB block (line numbers within it) so that it costs
  // little CPU besides the write calls: the figure is the tailer's.
  const writerCode = `
    const fs = require('node:fs');
    const fd = fs.openSync(${JSON.stringify(log)}, 'a');
    const perChunk = Math.floor(1048576 / ${LINE});
    const pad = 'x'.repeat(${LINE} - 18);
    const lines = [];
    for (let i = 0; i < perChunk; i++) lines.push('line ' + String(i).padStart(12, '0') + pad + '\\n');
    const block = Buffer.from(lines.join(''));
    let n = 0;
    while (n < ${EVENTS}) {
      const count = Math.min(perChunk, ${EVENTS} - n);
      fs.writeSync(fd, block, 0, count * ${LINE});
      n += count;
    }
    fs.closeSync(fd);`;
  const { agent } = await benchAgent(sourceToNull(`{ type: taildir, filegroups: { app: "${log}" }, positionFile: "${dir}/positions.json", batchSize: 1000, pollInterval: 100ms }`));
  const rss = trackPeakRss();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const writer = spawn(process.execPath, ['-e', writerCode], { stdio: 'inherit' });
  await agent.start();
  const sink = sinkMetrics(agent, 'out');
  await drained(sink, EVENTS);
  const elapsed = process.hrtime.bigint() - started;
  const used = process.cpuUsage(cpu);
  const peak = rss.stop();
  await new Promise((resolve) => (writer.exitCode === null ? writer.once('exit', resolve) : resolve(undefined)));
  await agent.stop(1000);
  rmSync(dir, { recursive: true, force: true });
  // CPU time of the agent process: on a shared machine a steadier figure than wall time.
  const cpuSeconds = (used.user + used.system) / 1e6;
  return result('taildir', EVENTS, EVENTS * LINE, elapsed, peak, {
    linesPerSec: Math.round(EVENTS / (Number(elapsed) / 1e9)), lineBytes: LINE,
    cpuSeconds: Math.round(cpuSeconds * 1000) / 1000, mbPerCpuSec: Math.round((EVENTS * LINE) / 1e6 / cpuSeconds * 10) / 10,
  });
}
