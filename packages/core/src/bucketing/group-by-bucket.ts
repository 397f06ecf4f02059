import { errorCode } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import type { RejectedEvent } from '../rejected-events.js';
import type { BucketTemplate } from './bucket-template.js';

/**
 * Splits a batch by the bucket (path or key prefix) each event renders to, keeping the batch's
 * order within each bucket. Events the template cannot place (SLUICE_EVENT_REJECTED: no usable
 * timestamp) are returned apart, for {@link setAsideRejected}, so they never fail the whole batch;
 * any other error is thrown.
 */
export function groupByBucket(template: BucketTemplate, events: readonly SluiceEvent[], now: number): { groups: Map<string, SluiceEvent[]>; rejected: RejectedEvent[] } {
  const groups = new Map<string, SluiceEvent[]>();
  const rejected: RejectedEvent[] = [];
  for (const event of events) {
    let bucket: string;
    try {
      bucket = template.render(event, now);
    } catch (error) {
      if (errorCode(error) !== 'SLUICE_EVENT_REJECTED') throw error;
      rejected.push({ event, error });
      continue;
    }
    let group = groups.get(bucket);
    if (!group) groups.set(bucket, (group = []));
    group.push(event);
  }
  return { groups, rejected };
}
