import { spawn } from 'node:child_process';

/**
 * Sends `lines` to 127.0.0.1:port with the real netcat (netcat-openbsd) and returns its reply lines.
 * With `idleTimeoutSeconds`, nc gives up on a connection idle that long (`-w`), as a real client would.
 */
export function nc(port: number, lines: string[], idleTimeoutSeconds?: number): Promise<{ replies: string[]; code: number | null }> {
  return new Promise((resolve, reject) => {
    const args = [...(idleTimeoutSeconds === undefined ? [] : ['-w', String(idleTimeoutSeconds)]), '-N', '127.0.0.1', String(port)];
    const child = spawn('nc', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    // 'close', not 'exit': 'exit' can come before nc's stdout was read to its end, and the round
    // then looked like a connection answered with nothing (exit code 0, no OK).
    child.on('close', (code) => resolve({ replies: out.split('\n').filter(Boolean), code }));
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

/**
 * A client that keeps sending numbered lines to a netcat source, one `nc` connection per round of
 * `perRound` lines, until `stop()`. Records which numbers were acknowledged with OK and every round
 * that did not get all its OKs (a refused or dropped connection).
 */
export class NcClient {
  readonly acked: number[] = [];
  readonly failures: { round: number; code: number | null; replies: number }[] = [];
  rounds = 0;
  private next = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly port: number, private readonly perRound = 20, private readonly pauseMs = 10, private readonly idleTimeoutSeconds?: number) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Resolves once `n` more rounds completed. */
  async waitRounds(n: number): Promise<void> {
    const target = this.rounds + n;
    while (this.rounds < target) {
      if (this.stopped) throw new Error('client stopped');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const ids = Array.from({ length: this.perRound }, () => this.next++);
      const { replies, code } = await nc(this.port, ids.map((id) => `line-${id}`), this.idleTimeoutSeconds);
      const oks = replies.filter((r) => r === 'OK').length;
      if (oks === ids.length) this.acked.push(...ids);
      else this.failures.push({ round: this.rounds, code, replies: oks });
      this.rounds++;
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }
}
