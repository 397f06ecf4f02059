import { readSync } from 'node:fs';
import { RECORD_HEADER, RECORD_MAGIC, readRecordHeader, type RecordHeader } from './batch-codec.js';

/** A record found in a data file at start-up (its events are verified when read). */
export interface FoundRecord extends RecordHeader {
  offset: number;
}

/** What {@link scanDataFile} learned about one data file. */
export interface DataFileScan {
  records: FoundRecord[];
  /** Byte ranges between records that hold no intact record header (damage), in file order. */
  damaged: { offset: number; bytes: number }[];
  /** Trailing bytes that form no whole record: a write cut short by a crash, or damage at the end. */
  tail: number;
}

/** Headers are read through this window; a file of small records is read a window at a time. */
const WINDOW = 16 * 1024;
/** Chunk size when searching past damage for the next record. */
const SEARCH_CHUNK = 1024 * 1024;

/**
 * Walks a data file from record header to record header without reading the events, so start-up
 * costs one small read per stored batch. Bytes that are not an intact header are skipped to the
 * next intact one (found by its magic and header checksum), so damage costs only the records it
 * touched. Runs synchronously: it is start-up work and each read is small.
 */
export function scanDataFile(fd: number, size: number): DataFileScan {
  const window = Buffer.allocUnsafe(WINDOW);
  let windowStart = 0;
  let windowLength = 0;
  const headerAt = (offset: number): RecordHeader | undefined => {
    if (offset < windowStart || offset + RECORD_HEADER > windowStart + windowLength) {
      windowStart = offset;
      windowLength = readSync(fd, window, 0, Math.min(WINDOW, size - offset), offset);
    }
    const header = readRecordHeader(window.subarray(0, windowLength), offset - windowStart);
    return header && offset + header.length <= size ? header : undefined;
  };

  const records: FoundRecord[] = [];
  const damaged: DataFileScan['damaged'] = [];
  let offset = 0;
  while (size - offset >= RECORD_HEADER) {
    const header = headerAt(offset);
    if (header) {
      records.push({ ...header, offset });
      offset += header.length;
      continue;
    }
    const next = nextRecord(fd, size, offset + 1, headerAt);
    if (next === undefined) break;
    damaged.push({ offset, bytes: next - offset });
    offset = next;
  }
  return { records, damaged, tail: size - offset };
}

/** The offset of the first intact record header at or after `from`, if any. */
function nextRecord(fd: number, size: number, from: number, headerAt: (offset: number) => RecordHeader | undefined): number | undefined {
  // No bigger than what is left to search: a small file costs a small buffer.
  const chunk = Buffer.allocUnsafe(Math.max(0, Math.min(SEARCH_CHUNK, size - from)));
  for (let start = from; size - start >= RECORD_HEADER;) {
    const length = readSync(fd, chunk, 0, Math.min(SEARCH_CHUNK, size - start), start);
    if (length < RECORD_HEADER) return undefined;
    const bytes = chunk.subarray(0, length);
    for (let i = bytes.indexOf(RECORD_MAGIC); i >= 0; i = bytes.indexOf(RECORD_MAGIC, i + 1)) {
      if (headerAt(start + i)) return start + i;
    }
    if (start + length >= size) return undefined;
    // Overlap so a magic split across two chunks is still found.
    start += length - (RECORD_MAGIC.length - 1);
  }
  return undefined;
}
