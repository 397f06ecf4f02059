import { open, rename } from 'node:fs/promises';

/**
 * Replaces `file` with `content` so that a reader (or a restart after a crash) sees either the
 * old or the new content, never a mix: write a temp file beside it, optionally fsync, rename.
 */
export async function writeFileAtomic(file: string, content: string | Buffer, fsync = false): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(content);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}

