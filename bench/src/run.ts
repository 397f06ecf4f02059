/**
 * `npm run bench -- <scenario> [...]`: runs each named scenario (default: all that exist) and
 * prints one JSON line per scenario:
 * {scenario, events, seconds, eventsPerSec, mbPerSec, p99LatencyMs?, peakRssMb, ...extra}.
 * A scenario is a module in ./scenarios/<name>.js exporting `run(): Promise<BenchResult>`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './result.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(path.join(here, 'scenarios')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : available;
let failed = false;
for (const name of names) {
  if (!available.includes(name)) {
    process.stderr.write(`unknown scenario '${name}'; available: ${available.join(', ')}\n`);
    failed = true;
    continue;
  }
  const scenario = (await import(`./scenarios/${name}.js`)) as { run(): Promise<BenchResult> };
  const result = await scenario.run();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
process.exit(failed ? 1 : 0);
