import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SluiceError } from '@sluice/core';
import { writeFileAtomic } from './atomic-write.js';

/**
 * One entry of the taildir position file. `inode`, `pos` and `file` are Flume's keys, so a
 * Flume position file can be adopted (its entries match by inode alone); `dev` and the
 * fingerprint tell inode reuse apart from the same file.
 */
export interface PositionEntry {
  inode: number;
  pos: number;
  file: string;
  dev?: number;
  group?: string;
  fpLength?: number;
  fp?: string;
}

/**
 * Reads the position file; a missing file means no positions. A file that is not a JSON array
 * of entries fails with SLUICE_DATA_CORRUPT instead of silently re-reading everything.
 */
export async function readPositionFile(file: string): Promise<PositionEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (text.trim() === '') return [];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw corrupt(file, cause);
  }
  if (!Array.isArray(data)) throw corrupt(file);
  for (const entry of data) {
    const e = entry as Partial<PositionEntry> | null;
    if (!e || typeof e.inode !== 'number' || typeof e.pos !== 'number' || typeof e.file !== 'string') throw corrupt(file);
  }
  return data as PositionEntry[];
}

function corrupt(file: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_DATA_CORRUPT',
    `taildir position file ${file} is not a JSON array of {inode, pos, file} entries; fix or delete it (deleting re-reads the files from the start, or from the end with skipToEnd)`,
    { cause, details: { file } });
}

/** Writes the position file atomically (temp file + rename), creating its directory when missing. */
export async function writePositionFile(file: string, entries: readonly PositionEntry[]): Promise<void> {
  const content = JSON.stringify(entries);
  try {
    await writeFileAtomic(file, content);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, content);
  }
}
