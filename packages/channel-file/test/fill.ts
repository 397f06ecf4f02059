import type { Channel, SluiceEvent } from '@sluice/core';

/** Body of event n: its number padded with '.' to `size` bytes, so damage is detectable. */
export function body(n: number, size: number): Buffer {
  return Buffer.from(String(n).padEnd(size, '.'));
}

/** Commits `batches` batches of `perBatch` events numbered from 0, with headers. */
export async function fill(channel: Channel, batches: number, perBatch: number, size: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const events: SluiceEvent[] = [];
    for (let i = 0; i < perBatch; i++) {
      const n = b * perBatch + i;
      events.push({ headers: { n: String(n) }, body: body(n, size) });
    }
    const tx = channel.transaction();
    tx.put(events);
    await tx.commit();
  }
}

/** Takes and commits everything, `max` per transaction. */
export async function drain(channel: Channel, max = 1000): Promise<SluiceEvent[]> {
  const out: SluiceEvent[] = [];
  for (;;) {
    const tx = channel.transaction();
    const batch = await tx.take(max);
    await tx.commit();
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/** Numbers of the drained events; throws if any event is not byte-identical to what was put. */
export function verifiedNumbers(events: readonly SluiceEvent[], size: number): number[] {
  return events.map((event) => {
    const n = Number(event.headers.n);
    if (!Number.isInteger(n) || !event.body.equals(body(n, size))) throw new Error(`damaged event delivered: headers ${JSON.stringify(event.headers)}`);
    return n;
  });
}
