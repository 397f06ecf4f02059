import { spawn, type ChildProcess } from 'node:child_process';
import { SLUICE_BIN } from './agent-process.js';

/**
 * A real `sluice tap` child process with its stdout and stderr collected. Call `stop()` in a
 * `finally`/`after` so it never outlives its test.
 */
export class TapProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Runs `sluice tap ARGS...`. */
  static start(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): TapProcess {
    return new TapProcess(spawn(process.execPath, [SLUICE_BIN, 'tap', ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Resolves once the tap is attached (its header line is on stderr, or on stdout with --json); rejects if it exits first. */
  async attached(timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!this.stderr.includes('Ctrl-C to stop') && !this.stdout.includes('{"type":"tap"')) {
      if (exited || Date.now() > deadline) throw new Error(`sluice tap did not attach; stderr: ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The event lines printed so far. */
  lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}
