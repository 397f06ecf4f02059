import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry point, so tests run exactly what users run. */
export const SLUICE_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/cli/dist/src/bin.js');

/** One JSON log line written by an agent process. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/**
 * A real `sluice agent` child process, started from a topology file, with its JSON log lines
 * collected. Always call `stop()` or `kill()` in an `after`/`finally` so no process outlives a test.
 */
export class AgentProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  private constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { msg: text };
        }
        this.logs.push(line);
        for (const waiter of [...this.waiters]) {
          if (waiter.match(line)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    // 'close', not 'exit': it comes once stdout and stderr are read to their end, so `stderr` and
    // `logs` are whole when `exited` resolves.
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `sluice agent -f file -n name`; `cwd` defaults to the file's directory. */
  static start(file: string, name: string, options: { cwd?: string; env?: NodeJS.ProcessEnv; logLevel?: string } = {}): AgentProcess {
    const child = spawn(process.execPath, [SLUICE_BIN, 'agent', '-f', file, '-n', name, '--log-level', options.logLevel ?? 'info'], {
      cwd: options.cwd ?? path.dirname(file),
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new AgentProcess(child);
  }

  /** Resolves with the first log line (past or future) matching, or rejects after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 15000): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}; last logs: ${JSON.stringify(this.logs.slice(-5))}`)), timeoutMs);
      const waiter = { match, resolve: (line: LogLine) => { clearTimeout(timer); resolve(line); } };
      this.waiters.push(waiter);
      this.exited.then(() => { clearTimeout(timer); if (this.waiters.includes(waiter)) reject(new Error(`agent exited before a matching log line; stderr: ${this.stderr.slice(-2000)}`)); });
    });
  }

  /** Waits until the agent logged 'agent started'. */
  started(timeoutMs = 15000): Promise<LogLine> {
    return this.waitForLog((l) => l.msg === 'agent started', timeoutMs);
  }

  /** The port a component logged when it started listening (its log line has `port`). */
  async portOf(component: string, timeoutMs = 15000): Promise<number> {
    const line = await this.waitForLog((l) => l.component === component && typeof l.port === 'number' && /listening/.test(String(l.msg)), timeoutMs);
    return line.port as number;
  }

  /** Graceful stop (SIGTERM by default); resolves with the exit status. Kills after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  /** SIGKILL, for crash tests. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** A temporary directory removed by `cleanup()`; write topology files into it with `write`. */
export class TempDir {
  readonly path = mkdtempSync(path.join(os.tmpdir(), 'sluice-test-'));
  write(name: string, content: string): string {
    const file = path.join(this.path, name);
    writeFileSync(file, content);
    return file;
  }
  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
