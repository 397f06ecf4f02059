#!/usr/bin/env node
import { main } from './cli.js';

// `sluice agent` used to turn on V8's --optimize-for-size to keep peak RSS low. Under the syslog
// bench it cost three times the CPU per event (6 against 1.9 CPU-s per million: collections every
// 200 ms in memory-reducing mode, which also kept the young generation small, so events held in a
// channel were promoted and collected the expensive way). What it saved is memory: peak RSS about
// 90 against 130 MB with a 20,000-event memory channel, 138 against 269 MB with 100,000 (bench
// startup). An agent exists to move events, so it now runs with V8's defaults;
// `node --optimize-for-size $(which sluice) agent ...` still chooses memory over speed, and
// --heap-growing-percent=10 is a middle way (180 MB there, about 2.0 CPU-s per million).

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    if (code !== 0 || process.argv[2] !== 'agent') return;
    // The agent has stopped; close whatever a plugin may have left open.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    process.stderr.write(`sluice: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 70;
  },
);
