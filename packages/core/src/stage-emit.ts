import type { Channel } from './channel.js';
import type { SluiceEvent } from './event.js';

/**
 * Builds a stage's `emit` (see {@link StageContext.emit}): puts the events into each channel in
 * turn, in transactions of at most `chunk` events, and resolves when every one committed. A
 * failing chunk is rolled back and the error rethrown; what committed before stays, so the stage
 * emits the same results again on its retry (duplicates under the stage rule, never a loss).
 * Called by the agent (and the testkit) when it builds a stage's context.
 */
export function createStageEmit(outputs: ReadonlyMap<string, Channel>, chunk: number): (events: readonly SluiceEvent[]) => Promise<void> {
  if (!(chunk >= 1)) throw new TypeError(`chunk must be at least 1, got ${chunk}`);
  return async (events) => {
    if (events.length === 0) return;
    for (const channel of outputs.values()) {
      for (let i = 0; i < events.length; i += chunk) {
        const tx = channel.transaction();
        try {
          tx.put(events.slice(i, i + chunk));
          await tx.commit();
        } catch (error) {
          await tx.rollback().catch(() => undefined);
          throw error;
        }
      }
    }
  };
}
