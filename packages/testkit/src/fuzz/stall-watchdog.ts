import { Worker } from 'node:worker_threads';

/** How long one fuzz case may hold the thread before the watchdog saves it and ends the run (SLUICE_FUZZ_STALL_MS overrides it). */
export const FUZZ_STALL_MS = Number(process.env.SLUICE_FUZZ_STALL_MS ?? 60_000);

/** Bytes kept of the running case's JSON; a longer case is saved cut (and says so). */
const CASE_BYTES = 4 * 1024 * 1024;

/**
 * The watchdog thread. The call limit of a fuzz target is checked when a call returns, so a call
 * that never returns (a regex backtracking for hours) would hang the run without a word. This
 * thread watches the case counter the main thread bumps; when it has not moved for `stallMs`, it
 * appends the running case to the regression file, says so on stderr and kills the process
 * (process.exit in a worker would only end the worker).
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { shared, file, name, stallMs } = workerData;
const header = new Int32Array(shared, 0, 2);
const bytes = new Uint8Array(shared, 8);
let seen = -1;
let since = Date.now();
setInterval(() => {
  const seq = Atomics.load(header, 0);
  if (seq !== seen) { seen = seq; since = Date.now(); return; }
  if (seq === 0 || Date.now() - since < stallMs) return;
  const length = Atomics.load(header, 1);
  const text = Buffer.from(bytes.subarray(0, Math.min(length, bytes.length))).toString('utf8');
  let message = 'fuzz target ' + name + ': case ' + seq + ' has held the thread for ' + Math.round((Date.now() - since) / 1000) + ' s (a stall); ';
  if (length <= bytes.length) {
    const saved = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
    saved.push(JSON.parse(text));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(saved, null, 1) + '\\n');
    message += 'it was saved to ' + file + ' and replays first next run';
  } else {
    message += 'it is too long to save (' + length + ' bytes); its start: ' + text.slice(0, 2000);
  }
  // A worker's process.stderr goes through the (stalled) main thread: write to fd 2 directly.
  fs.writeSync(2, message + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 1000);
`;

/**
 * Guards a long fuzz run against a case that never returns: the runner calls `enter(caseJson)`
 * before each case (the case as {@link fuzzTarget} saves regressions) and `stop()` at the end.
 */
export class StallWatchdog {
  private readonly header: Int32Array;
  private readonly view: Buffer;
  private readonly worker: Worker;
  private seq = 0;

  constructor(name: string, regressionFile: string, stallMs = FUZZ_STALL_MS) {
    const shared = new SharedArrayBuffer(8 + CASE_BYTES);
    this.header = new Int32Array(shared, 0, 2);
    this.view = Buffer.from(shared, 8, CASE_BYTES);
    this.worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { shared, file: regressionFile, name, stallMs } });
    this.worker.unref();
  }

  /** The case about to run, as the JSON of its argument list. */
  enter(caseJson: string): void {
    const written = this.view.write(caseJson, 'utf8');
    const cut = written > CASE_BYTES - 4 && written < Buffer.byteLength(caseJson);
    Atomics.store(this.header, 1, cut ? CASE_BYTES + 1 : written);
    Atomics.store(this.header, 0, ++this.seq);
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
