import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SluiceError } from '@sluice/core';
import { fc, fuzzTarget, onlySluiceErrors } from '../src/index.js';

const FUZZ_TARGET_MODULE = new URL('../src/fuzz/fuzz-target.js', import.meta.url).href;

describe('fuzzTarget', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-fuzz-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes a property that holds and counts its cases', async () => {
    const result = await fuzzTarget('holds', [fc.uint8Array()], (bytes) => { Buffer.from(bytes).toString('base64'); }, { regressions: dir, quickRuns: 50 });
    expect(result.runs).to.equal(50);
  });

  it('saves the shrunk counterexample of a failure and replays it first next time', async () => {
    const check = (bytes: Uint8Array): void => { if (bytes.includes(7)) throw new TypeError('seven'); };
    let failure: Error | undefined;
    try {
      await fuzzTarget('sevens', [fc.uint8Array({ minLength: 1 })], check, { regressions: dir, quickRuns: 2000 });
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.match(/fuzz target sevens failed .*seven/s);
    const saved = JSON.parse(readFileSync(path.join(dir, 'sevens.json'), 'utf8')) as unknown[];
    expect(saved).to.deep.equal([[{ $bytes: Buffer.from([7]).toString('base64') }]]);
    let replay: Error | undefined;
    try {
      await fuzzTarget('sevens', [fc.constant(new Uint8Array())], check, { regressions: dir, quickRuns: 1 });
    } catch (error) {
      replay = error as Error;
    }
    expect(replay?.message).to.match(/saved regression #0 .* fails again: seven/);
  });

  it('saves Buffers in a counterexample as bytes and replays them as Buffers', async () => {
    const seen: unknown[] = [];
    const check = (bytes: Buffer): void => { seen.push(bytes); if (bytes.length > 0) throw new Error('bytes'); };
    try {
      await fuzzTarget('buffers', [fc.uint8Array({ minLength: 1 }).map((u) => Buffer.from(u))], check, { regressions: dir, quickRuns: 10 });
    } catch {
      // expected: every non-empty case fails
    }
    seen.length = 0;
    try {
      await fuzzTarget('buffers', [fc.constant(Buffer.alloc(0))], check, { regressions: dir, quickRuns: 1 });
    } catch {
      // the saved case fails again
    }
    expect(Buffer.isBuffer(seen[0])).to.equal(true);
  });

  it('fails a call slower than the limit', async () => {
    // 60 ms of CPU time (so also of wall time), however loaded the machine is.
    const slow = (): void => { const start = process.cpuUsage(); while (process.cpuUsage(start).user < 60_000); };
    let failure: Error | undefined;
    try {
      await fuzzTarget('slow', [fc.constant(1)], slow, { regressions: dir, quickRuns: 1, callLimitMs: 10 });
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.match(/took .* ms \(.* ms of CPU; limit (10|50) ms\)/);
  });

  it('in a long run, saves a case that never returns and ends the process instead of hanging', function () {
    this.timeout(30_000);
    const script = path.join(dir, 'stalls.mjs');
    writeFileSync(script, `
      import { fc, fuzzTarget } from ${JSON.stringify(FUZZ_TARGET_MODULE)};
      await fuzzTarget('stalls', [fc.nat({ max: 50 })], (n) => { if (n === 42) for (;;); }, { regressions: ${JSON.stringify(dir)} });
      console.log('finished');
    `);
    const run = spawnSync(process.execPath, [script], { env: { ...process.env, SLUICE_FUZZ_RUNS: '100000', SLUICE_FUZZ_STALL_MS: '1500' }, encoding: 'utf8', timeout: 25_000 });
    expect(run.signal, run.stderr).to.equal('SIGKILL');
    expect(run.stdout).to.not.contain('finished');
    expect(run.stderr).to.match(/fuzz target stalls: case \d+ has held the thread for \d+ s \(a stall\); it was saved to .*stalls\.json/);
    expect(JSON.parse(readFileSync(path.join(dir, 'stalls.json'), 'utf8'))).to.deep.equal([[42]]);
  });

  it('lets SluiceErrors through onlySluiceErrors and rethrows anything else', () => {
    expect(onlySluiceErrors(() => { throw new SluiceError('SLUICE_CONFIG_INVALID', 'no'); })).to.be.instanceOf(SluiceError);
    expect(() => onlySluiceErrors(() => { throw new TypeError('x'); })).to.throw(TypeError);
  });
});
