import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** How a {@link ProcessGroup} ended: the leader's exit code or signal, or the spawn error. */
export interface GroupExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (ENOENT, EACCES, ...). */
  error?: Error;
}

/** True while any process of group `pgid` exists (signal 0 probes without delivering). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: the group exists but belongs to someone else, which cannot happen for our own child.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: every member already exited.
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Groups that may still have members. If the agent exits without stopping its sources (an uncaught
 * error), one `exit` hook kills them all, so no command outlives the agent that started it.
 */
const liveGroups = new Set<number>();
function killLiveGroups(): void {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
}
function track(pgid: number | undefined): void {
  if (pgid === undefined) return;
  if (liveGroups.size === 0) process.on('exit', killLiveGroups);
  liveGroups.add(pgid);
}
function untrack(pgid: number | undefined): void {
  if (pgid === undefined || !liveGroups.delete(pgid)) return;
  if (liveGroups.size === 0) process.off('exit', killLiveGroups);
}

/**
 * A command run as the leader of its own process group (spawned detached, so `setsid` makes its pid
 * the group id), with stdout and stderr piped to us and stdin closed. Ending it signals the whole
 * group, not just the leader: `sh -c 'tail -F a | grep b'` leaves no `tail` behind. Used by the exec
 * source; one instance per run of the command.
 */
export class ProcessGroup {
  readonly child: ChildProcess;
  /** Resolves once the leader has exited (or failed to start); never rejects. */
  readonly exited: Promise<GroupExit>;
  private exit: GroupExit | undefined;

  constructor(file: string, args: readonly string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    this.exited = new Promise<GroupExit>((resolve) => {
      this.child.once('exit', (code, signal) => resolve((this.exit = { code, signal })));
      this.child.once('error', (error) => resolve((this.exit = { code: null, signal: null, error })));
    });
    track(this.child.pid);
    void this.exited.then(() => {
      if (!this.pgid || !groupAlive(this.pgid)) untrack(this.pgid);
    });
  }

  /** The group id (the leader's pid); undefined when the command could not be spawned. */
  get pgid(): number | undefined {
    return this.child.pid;
  }

  get stdout(): Readable {
    return this.child.stdout!;
  }

  get stderr(): Readable {
    return this.child.stderr!;
  }

  /** The leader's exit, once it happened. */
  get exitStatus(): GroupExit | undefined {
    return this.exit;
  }

  /**
   * Ends every process of the group: SIGTERM, then SIGKILL to whatever is left after `graceMs`.
   * Resolves when the leader has exited and no member remains. Safe to call more than once and
   * after the leader exited on its own (children it left in the group are still ended).
   */
  async terminate(graceMs: number): Promise<void> {
    const pgid = this.pgid;
    if (pgid === undefined) return;
    if (groupAlive(pgid)) signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && (this.exit === undefined || groupAlive(pgid))) await sleep(20);
    if (this.exit === undefined || groupAlive(pgid)) {
      signalGroup(pgid, 'SIGKILL');
      await this.exited;
      // Bounded: a killed grandchild stays a zombie until its new parent (init) reaps it.
      const reaped = Date.now() + 1000;
      while (groupAlive(pgid) && Date.now() < reaped) await sleep(10);
    }
    untrack(pgid);
  }
}
