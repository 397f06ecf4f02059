import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Bytes at the start of a file that identify it besides device and inode. */
export const FINGERPRINT_BYTES = 256;

/** A hash of the first `length` bytes of a file (length < FINGERPRINT_BYTES while the file is short). */
export interface Fingerprint {
  length: number;
  hash: string;
}

/** The empty fingerprint of a file with no bytes yet: it matches any file. */
export const EMPTY_FINGERPRINT: Fingerprint = Object.freeze({ length: 0, hash: '' });

/** Hashes a prefix buffer. */
export function hashPrefix(bytes: Buffer): string {
  return bytes.length === 0 ? '' : createHash('sha1').update(bytes).digest('hex');
}

/** Reads up to FINGERPRINT_BYTES from the start of an open file. */
export async function readPrefix(handle: FileHandle, size: number): Promise<Buffer> {
  const length = Math.min(size, FINGERPRINT_BYTES);
  if (length <= 0) return Buffer.alloc(0);
  const buffer = Buffer.allocUnsafe(length);
  const { bytesRead } = await handle.read(buffer, 0, length, 0);
  return buffer.subarray(0, bytesRead);
}

/** True when `prefix` (the file's first bytes) starts with the bytes `fingerprint` was taken of. */
export function prefixMatches(fingerprint: Fingerprint, prefix: Buffer): boolean {
  if (fingerprint.length === 0) return true;
  if (prefix.length < fingerprint.length) return false;
  return hashPrefix(prefix.subarray(0, fingerprint.length)) === fingerprint.hash;
}

/** The fingerprint of a prefix buffer. */
export function fingerprintOf(prefix: Buffer): Fingerprint {
  return { length: prefix.length, hash: hashPrefix(prefix) };
}
