import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { SluiceError } from '@sluice/core';

/** The seed every fuzz run uses unless SLUICE_FUZZ_SEED says otherwise, so a failure replays. */
export const FUZZ_SEED = 20261202;

/** Cases per target in `npm test`; `npm run fuzz` sets SLUICE_FUZZ_RUNS=1000000. */
export const QUICK_FUZZ_RUNS = 300;

/** How long one call may take before the case fails (after one retry, to forgive a GC pause). */
export const FUZZ_CALL_LIMIT_MS = 100;

/**
 * In `npm test` (no SLUICE_FUZZ_RUNS) the limit is this many times looser: the suite runs next to
 * spawned agents on a shared machine, where a starved process can take 100 ms over anything. The
 * strict limit is `npm run fuzz`'s, run on a quiet machine.
 */
export const QUICK_CALL_LIMIT_FACTOR = 5;

/** Options of {@link fuzzTarget}. */
export interface FuzzTargetOptions {
  /** Directory of the regression fixtures (`<name>.json`), replayed before the random cases and appended to on failure. */
  regressions: string;
  /** Cases in `npm test`; SLUICE_FUZZ_RUNS overrides it. Default {@link QUICK_FUZZ_RUNS}. */
  quickRuns?: number;
  /** Longest call allowed, in milliseconds. Default {@link FUZZ_CALL_LIMIT_MS} (times {@link QUICK_CALL_LIMIT_FACTOR} in `npm test`). */
  callLimitMs?: number;
}

/** Encodes bytes so a counterexample survives JSON. */
function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, after: unknown) {
    // A Buffer's toJSON has run by now ({type, data}); the holder still has the Buffer itself.
    const v = this[key] instanceof Uint8Array ? this[key] : after;
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (v === undefined) return { $undefined: true };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
    return v;
  }, 1);
}

function fromJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
      if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
      if (o.$undefined === true) return undefined;
      if (typeof o.$number === 'string') return Number(o.$number);
    }
    return v;
  });
}

/**
 * Rethrows anything that is not a {@link SluiceError}: a parser fed garbage may refuse it only with
 * a stable-coded error (or a returned problem), never with a TypeError or RangeError.
 */
export function onlySluiceErrors<T>(call: () => T): T | SluiceError {
  try {
    return call();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
}

/** Async {@link onlySluiceErrors}. */
export async function onlySluiceErrorsAsync<T>(call: () => Promise<T>): Promise<T | SluiceError> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
}

/** Calls that passed but took over {@link FUZZ_CALL_LIMIT_MS} (a raised limit lets them through), for the progress lines. */
const slowCalls = { count: 0, slowestMs: 0 };

async function timed(limitMs: number, check: () => unknown): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const t0 = performance.now();
    await check();
    const ms = performance.now() - t0;
    if (ms <= limitMs) {
      if (ms > FUZZ_CALL_LIMIT_MS) {
        slowCalls.count++;
        slowCalls.slowestMs = Math.max(slowCalls.slowestMs, ms);
      }
      return;
    }
    if (attempt >= 1) throw new Error(`one call took ${ms.toFixed(1)} ms (limit ${limitMs} ms)`);
  }
}

/**
 * Runs one fuzz target: first every saved regression case, then fast-check's random cases with a
 * fixed seed. A case fails when `check` throws (use {@link onlySluiceErrors} around calls that may
 * refuse input) or takes longer than the call limit twice in a row. The shrunk counterexample of a
 * failure is appended to `<regressions>/<name>.json` so the next run replays it, and the error says
 * which seed and file reproduce it.
 *
 * Called from mocha tests; SLUICE_FUZZ_RUNS (cases) and SLUICE_FUZZ_SEED change the budget and seed;
 * SLUICE_FUZZ_PROGRESS=n prints a progress line to stderr every n cases.
 */
export async function fuzzTarget<Ts extends [unknown, ...unknown[]]>(
  name: string,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  check: (...args: Ts) => unknown,
  options: FuzzTargetOptions,
): Promise<{ runs: number; regressions: number }> {
  const limit = (options.callLimitMs ?? FUZZ_CALL_LIMIT_MS) * (process.env.SLUICE_FUZZ_RUNS === undefined ? QUICK_CALL_LIMIT_FACTOR : 1);
  const file = path.join(options.regressions, `${name}.json`);
  const saved: Ts[] = existsSync(file) ? (fromJson(readFileSync(file, 'utf8')) as Ts[]) : [];
  for (const [i, args] of saved.entries()) {
    try {
      await timed(limit, () => check(...args));
    } catch (error) {
      throw new Error(`fuzz target ${name}: saved regression #${i} in ${file} fails again: ${(error as Error).message}`, { cause: error });
    }
  }
  const runs = Number(process.env.SLUICE_FUZZ_RUNS ?? options.quickRuns ?? QUICK_FUZZ_RUNS);
  const seed = Number(process.env.SLUICE_FUZZ_SEED ?? FUZZ_SEED);
  // SLUICE_FUZZ_PROGRESS=n prints a line to stderr every n cases: a long run shows it is alive and how fast it goes.
  const progress = Number(process.env.SLUICE_FUZZ_PROGRESS ?? 0);
  const began = performance.now();
  let done = 0;
  slowCalls.count = 0;
  slowCalls.slowestMs = 0;
  const property = fc.asyncProperty(...(arbitraries as unknown as [fc.Arbitrary<unknown>]), async (...args: unknown[]) => {
    await timed(limit, () => check(...(args as Ts)));
    if (progress > 0 && ++done % progress === 0) {
      const slow = slowCalls.count === 0 ? '' : `; ${slowCalls.count} calls took over ${FUZZ_CALL_LIMIT_MS} ms under the raised limit, the slowest ${slowCalls.slowestMs.toFixed(0)} ms`;
      process.stderr.write(`fuzz target ${name}: ${done} cases in ${((performance.now() - began) / 1000).toFixed(0)} s${slow}\n`);
    }
  });
  const details = await fc.check(property, { numRuns: runs, seed, endOnFailure: false });
  if (details.failed && details.counterexample) {
    mkdirSync(options.regressions, { recursive: true });
    writeFileSync(file, toJson([...saved, details.counterexample]) + '\n');
    const error = details.errorInstance as Error | undefined;
    throw new Error(
      `fuzz target ${name} failed after ${details.numRuns} cases (seed ${seed}, path ${details.counterexamplePath}); `
        + `the counterexample was saved to ${file}: ${error?.message ?? String(details.errorInstance)}\n${toJson(details.counterexample).slice(0, 2000)}`,
      { cause: error },
    );
  }
  return { runs: details.numRuns, regressions: saved.length };
}

export { fc };
