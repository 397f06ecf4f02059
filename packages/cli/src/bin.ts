#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { main } from './cli.js';

// An agent holds events for a while, so they die in the old generation, which V8 lets grow far
// past the live set before collecting it: under the syslog bench the agent peaked at 257 MB with
// ~40 MB live. Optimizing for size collects sooner (peak ~130 MB, same throughput within noise).
// A --[no-]optimize-for-size given to node itself wins.
const nodeFlags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
if (process.argv[2] === 'agent' && !nodeFlags.includes('optimize-for-size')) setFlagsFromString('--optimize-for-size');

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
