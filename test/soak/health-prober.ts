import { performance } from 'node:perf_hooks';

/**
 * A separate process that times `GET /health` of a monitoring port every `everyMs` and prints one
 * JSON line per answer (`{"t":ms,"ms":latency,"status":code}`; status 0 when it failed). Run by
 * {@link ProcessProbe} so that what the test process itself does (building 16 MiB bodies, hundreds
 * of sockets) never shows up as a slow /health. Usage: `node health-prober.js PORT EVERY_MS`.
 */
const [port, everyMs = '100'] = process.argv.slice(2);
let inFlight = false;
setInterval(() => {
  // One probe at a time: a slow answer is measured, not piled up behind.
  if (inFlight) return;
  inFlight = true;
  const started = performance.now();
  fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) })
    .then(async (res) => {
      await res.arrayBuffer();
      return res.status;
    }, () => 0)
    .then((status) => {
      process.stdout.write(`${JSON.stringify({ t: Date.now(), ms: Math.round((performance.now() - started) * 10) / 10, status })}\n`);
      inFlight = false;
    });
}, Number(everyMs));
process.on('SIGTERM', () => process.exit(0));
