import { parseDuration } from '@sluice/core';
import { runSoak } from './soak-run.js';

/**
 * `npm run soak -- DURATION [RATE_SCALE]` (e.g. `30m`, `2m 0.5`): runs {@link runSoak} for that
 * long, prints progress to stderr and the report as one JSON line on stdout. Exits 1 when an
 * acknowledged event was lost or the edge agent did not stay up.
 */
async function main(argv: string[]): Promise<number> {
  const [duration = '30m', scale = '1'] = argv;
  const report = await runSoak({
    durationMs: parseDuration(duration),
    rateScale: Number(scale),
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.lostAcknowledged === 0 && report.edgeStayedUp ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`soak failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(2);
});
