import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
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
 * touched; a header whose record does not end where another begins (or at the end of the file)
 * has its events verified before the records it seems to cover are given up. Found records' events
 * are not verified otherwise: the channel verifies each when it reads it. Runs synchronously: it
 * is start-up work and each read is small.
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
      const end = offset + header.length;
      // A record is followed by the next one (a higher sequence: appends are in sequence order)
      // or by the end of the file. When it is not, or it does not follow the previous one, its
      // header may be a lie (a stale copy, bytes lost or added inside the record): if another
      // record starts within it and its own events fail their checksum, it is damage, and the
      // records it seemed to cover are kept.
      const next = end === size ? undefined : headerAt(end);
      const lastSeq = records.length > 0 ? records[records.length - 1]!.seq : -1;
      if ((end !== size && (!next || next.seq <= header.seq)) || header.seq <= lastSeq) {
        const inner = nextRecord(fd, size, offset + 1, end, headerAt);
        if (inner !== undefined && !eventsVerify(fd, offset, header.length)) {
          damaged.push({ offset, bytes: inner - offset });
          offset = inner;
          continue;
        }
      }
      records.push({ ...header, offset });
      offset = end;
      continue;
    }
    const next = nextRecord(fd, size, offset + 1, size, headerAt);
    if (next === undefined) break;
    damaged.push({ offset, bytes: next - offset });
    offset = next;
  }
  return { records, damaged, tail: size - offset };
}

/** Whether the events of the record at `offset` match the checksum in its header (reads the whole record). */
function eventsVerify(fd: number, offset: number, length: number): boolean {
  const record = Buffer.allocUnsafe(length);
  if (readSync(fd, record, 0, length, offset) !== length) return false;
  return crc32(record.subarray(RECORD_HEADER)) === record.readUInt32LE(24);
}

/**
 * The offset of the first intact record header that starts at or after `from` and before `limit`,
 * if any. Reads in chunks; the whole header must lie within the file's `size`.
 */
function nextRecord(fd: number, size: number, from: number, limit: number, headerAt: (offset: number) => RecordHeader | undefined): number | undefined {
  // No bigger than what is left to search: a small file costs a small buffer.
  const chunk = Buffer.allocUnsafe(Math.max(0, Math.min(SEARCH_CHUNK, size - from)));
  for (let start = from; start < limit && size - start >= RECORD_HEADER;) {
    const length = readSync(fd, chunk, 0, Math.min(chunk.length, size - start), start);
    if (length < RECORD_HEADER) return undefined;
    const bytes = chunk.subarray(0, length);
    for (let i = bytes.indexOf(RECORD_MAGIC); i >= 0 && start + i < limit; i = bytes.indexOf(RECORD_MAGIC, i + 1)) {
      if (headerAt(start + i)) return start + i;
    }
    if (start + length >= size) return undefined;
    // Overlap so a magic split across two chunks is still found.
    start += length - (RECORD_MAGIC.length - 1);
  }
  return undefined;
}
