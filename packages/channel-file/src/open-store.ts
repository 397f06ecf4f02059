import { ClassicLevel } from 'classic-level';
import { SluiceError, type Logger } from '@sluice/core';

/** The LevelDB handle the file channel uses: binary keys and values. */
export type Store = ClassicLevel<Buffer, Buffer>;

/**
 * LevelDB tuning for batch-sized values. The write buffer bounds what start-up replays from the
 * write-ahead log (at most 16 MiB, whatever was consumed before), while keeping level-0 flushes rare.
 */
const STORE_OPTIONS = {
  keyEncoding: 'buffer',
  valueEncoding: 'buffer',
  writeBufferSize: 16 * 1024 * 1024,
  maxFileSize: 64 * 1024 * 1024,
  cacheSize: 8 * 1024 * 1024,
  compression: true,
} as const;

/** The LevelDB error code of an error or of its cause chain. */
export function levelCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && e.code.startsWith('LEVEL_') && e.code !== 'LEVEL_DATABASE_NOT_OPEN') return e.code;
  }
  return undefined;
}

/**
 * Opens (creating if needed) the LevelDB store in `dir`. A directory locked by another process
 * (or another channel in this one) fails with SLUICE_LOCKED. A store that fails to open for any
 * other reason is repaired once (LevelDB's RepairDB salvages every intact record) and reopened.
 */
export async function openStore(dir: string, channel: string, logger: Logger, repair = false): Promise<{ db: Store; repaired: boolean }> {
  if (repair) await repairStore(dir, channel, logger);
  const db: Store = new ClassicLevel<Buffer, Buffer>(dir, STORE_OPTIONS);
  try {
    await db.open();
    return { db, repaired: repair };
  } catch (cause) {
    const code = levelCode(cause);
    if (code === 'LEVEL_LOCKED') {
      throw new SluiceError('SLUICE_LOCKED', `file channel '${channel}': data directory ${dir} is locked by another process or channel; give each channel its own dataDir, or stop the other agent`, { cause, details: { dataDir: dir } });
    }
    const failure = new SluiceError('SLUICE_COMPONENT_START', `file channel '${channel}': cannot open data directory ${dir}: ${describe(cause)}; check the path, permissions and free space`, { cause, details: { dataDir: dir } });
    if (repair) throw failure;
    // A damaged store (corrupt or missing CURRENT/MANIFEST, bad table) is rebuilt rather than
    // left for someone to delete by hand; if even that fails, the first error is the useful one.
    try {
      return await openStore(dir, channel, logger, true);
    } catch {
      throw failure;
    }
  }
}

/** Runs LevelDB's repair, which keeps every record it can still read and drops damaged ones. */
export async function repairStore(dir: string, channel: string, logger: Logger): Promise<void> {
  logger.warn({ dataDir: dir }, `file channel '${channel}': store is damaged; repairing (intact records are kept, damaged ones dropped)`);
  await ClassicLevel.repair(dir);
}

/** The innermost message of an error chain (LevelDB's own words, e.g. "IO error: ..."). */
function describe(error: unknown): string {
  let e = error as { message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e?.cause && depth < 5; depth++) e = e.cause as typeof e;
  return String(e?.message ?? error);
}
