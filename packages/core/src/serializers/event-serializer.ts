import type { SluiceEvent } from '../event.js';

/**
 * Turns batches of events into the bytes of one output file or object. Used by file_roll, hdfs
 * and s3. `header` is written once at the start of each file, `serialize` once per batch, and
 * `footer` once when the file closes.
 */
export interface EventSerializer {
  /** A suggested file extension, without the dot (e.g. `log`, `avro`). */
  readonly extension: string;
  header?(): Buffer;
  serialize(events: readonly SluiceEvent[]): Buffer;
  footer?(): Buffer;
}
