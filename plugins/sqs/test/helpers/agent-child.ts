import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled CLI, so the tests run exactly what users run. */
export const SLUICE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../packages/cli/dist/src/bin.js');

/**
 * A real `sluice agent` process started from a topology file, its JSON log lines collected.
 * Always `kill()` or `stop()` it in a `finally`/`after` so no process outlives a test.
 */
export class AgentChild {
  readonly logs: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let newline; (newline = buffered.indexOf('\n')) >= 0; buffered = buffered.slice(newline + 1)) {
        try { this.logs.push(JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>); } catch { this.logs.push({ msg: buffered.slice(0, newline) }); }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString('utf8'); });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(file: string, name: string): AgentChild {
    return new AgentChild(spawn(process.execPath, [SLUICE_BIN, 'agent', '-f', file, '-n', name, '--log-level', 'info'], { cwd: path.dirname(file), stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Resolves once the agent logged 'agent started'; rejects if it exits first or after `timeoutMs`. */
  async started(timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.logs.some((l) => l.msg === 'agent started')) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`agent exited before it started: ${this.stderr.slice(-2000)} ${JSON.stringify(this.logs.slice(-5))}`);
      if (Date.now() > deadline) throw new Error(`agent did not start within ${timeoutMs} ms: ${this.stderr.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful drain), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 30000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }
}
