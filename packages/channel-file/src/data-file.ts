/**
 * One append-only data file of a file channel: a run of batch records ({@link encodeBatch}) written
 * one after the other. The {@link DataLog} owns it; the channel counts its live batches, and once
 * none is left (and the file is no longer appended to) the log deletes it whole.
 */
export class DataFile {
  /** Batches in this file that are not yet fully consumed. */
  live = 0;

  constructor(
    readonly id: number,
    readonly path: string,
    /** Open for reading and, while active, appending. */
    readonly fd: number,
    /** Bytes of whole records; the next append starts here. */
    public size: number,
  ) {}
}

/** Where a record was written. */
export interface Placement {
  file: DataFile;
  offset: number;
}
