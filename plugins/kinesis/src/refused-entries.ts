/** What a batch call (PutRecords, PutRecordBatch) refused of the entries it was given. */
export interface RefusedEntries<T> {
  /** The entries to send again, in their order. */
  failed: T[];
  /** How many each error code refused (`3 ProvisionedThroughputExceededException, 1 InternalFailure`). */
  codes: Map<string, number>;
  summary: string;
}

/**
 * Splits the entries of one batch call by its per-entry answers: `refusal(i)` is undefined for an
 * accepted entry, else the error code (or a stand-in when the answer is missing). Shared by the
 * kinesis and firehose sinks, which then resend only `failed`.
 */
export function refusedEntries<T>(pending: readonly T[], refusal: (index: number) => string | undefined): RefusedEntries<T> {
  const failed: T[] = [];
  const codes = new Map<string, number>();
  pending.forEach((entry, i) => {
    const code = refusal(i);
    if (code === undefined) return;
    failed.push(entry);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  });
  return { failed, codes, summary: [...codes].map(([code, n]) => `${n} ${code}`).join(', ') };
}
