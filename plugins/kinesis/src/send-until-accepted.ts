import { Backoff, type Sleeper } from '@sluice/core';

/** What one batch call (PutRecords, PutRecordBatch) refused of the entries it was given. */
export interface Refusals {
  /** Entries refused, out of `sent`. */
  failed: number;
  sent: number;
  /** How many each error code refused. */
  codes: Map<string, number>;
  /** `3 ProvisionedThroughputExceededException, 1 InternalFailure`. */
  summary: string;
}

/** How {@link sendUntilAccepted} retries refused entries. */
export interface ResendPolicy {
  retryTimeoutMs: number;
  maxBackoffMs: number;
  /** Woken by the sink's stop, so a backoff does not hold the stop up. */
  sleeper: Sleeper;
  /** True once the sink stops: no more resends, the batch rolls back. */
  stopping(): boolean;
  /** Counts the accepted and refused entries of each call (the sink's own counters). */
  answered(accepted: number, refusals: Refusals): void;
  /** The error to throw when entries are still refused at the deadline or at stop. */
  giveUp(refusals: Refusals): Error;
  /** Notes one resend (debug log). */
  resending(refusals: Refusals): void;
}

/**
 * Sends `entries` in one batch call, then only the refused entries, with a growing backoff, until
 * all were accepted (resolves) or `retryTimeoutMs` passed or the sink stops (rejects with
 * `giveUp`, so the batch rolls back). `send` resolves the refusal code of entry `i` of the call
 * (undefined when accepted); a rejected `send` (the call itself failed) propagates at once. Shared
 * by the kinesis and firehose sinks.
 */
export async function sendUntilAccepted<T>(entries: readonly T[], policy: ResendPolicy, send: (pending: readonly T[]) => Promise<(index: number) => string | undefined>): Promise<void> {
  const deadline = Date.now() + policy.retryTimeoutMs;
  const backoff = new Backoff(100, policy.maxBackoffMs);
  let pending = entries;
  for (;;) {
    const refusal = await send(pending);
    const failed: T[] = [];
    const codes = new Map<string, number>();
    pending.forEach((entry, i) => {
      const code = refusal(i);
      if (code === undefined) return;
      failed.push(entry);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    });
    const refusals: Refusals = { failed: failed.length, sent: entries.length, codes, summary: [...codes].map(([code, n]) => `${n} ${code}`).join(', ') };
    policy.answered(pending.length - failed.length, refusals);
    if (failed.length === 0) return;
    if (policy.stopping() || Date.now() >= deadline) throw policy.giveUp(refusals);
    policy.resending(refusals);
    await policy.sleeper.sleep(backoff.next());
    pending = failed;
  }
}
