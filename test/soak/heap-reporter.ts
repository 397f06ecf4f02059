import { appendFileSync } from 'node:fs';

/**
 * Preloaded into an agent under test (`NODE_OPTIONS=--import=<this file>`): when
 * `SLUICE_SOAK_HEAP_FILE` is set, appends `{"t":ms,"heapUsed":bytes,"rss":bytes}` lines to it every
 * `SLUICE_SOAK_HEAP_INTERVAL_MS` (1000 by default). The agent itself exposes no heap figure, and
 * a soak needs one to tell a leak in JavaScript objects from allocator growth. The timer is
 * unref'd so it never keeps the agent alive.
 */
const file = process.env.SLUICE_SOAK_HEAP_FILE;
if (file) {
  const every = Number(process.env.SLUICE_SOAK_HEAP_INTERVAL_MS ?? 1000);
  const sample = (): void => {
    const { heapUsed, rss } = process.memoryUsage();
    try {
      appendFileSync(file, `${JSON.stringify({ t: Date.now(), pid: process.pid, heapUsed, rss })}\n`);
    } catch {
      // The soak driver may have removed its directory already.
    }
  };
  sample();
  setInterval(sample, every).unref();
}
