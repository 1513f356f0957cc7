/**
 * Atomic file replacement: write a temporary file beside the target, flush it to disk, let the
 * caller check it (an exporter reads it back), rename it over the target, flush the folder. A
 * reader (or a crash) sees the old file or the new one, never a half-written one; if anything
 * fails (a full disk, a check that finds a difference), the old file is untouched, the
 * temporary is removed and the error says what happened.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserFacingError } from '../../../common/contract/result.js';

/** What the user can act on, for the errors a save meets in practice. */
const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'your disk quota is used up',
  EFBIG: 'the file is larger than this system or disk allows',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the disk is read-only',
  ENOENT: 'the folder does not exist',
};

export interface AtomicWriteOptions {
  /**
   * Called with the flushed temporary file before it replaces the target; throw to abandon the
   * write. A `UserFacingError` reaches the user as it is.
   */
  readonly verify?: (tmpPath: string) => Promise<void>;
}

export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[], opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      // writeFile loops until every byte is written; a bare write() may return short (a file-size limit).
      for (const c of chunks) await fh.writeFile(c);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await opts.verify?.(tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof UserFacingError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = REASONS[err.code ?? ''] ?? err.message;
    throw new UserFacingError('unreadable', `Could not save ${basename(path)}: ${why}. The previous version is unchanged.`);
  }
  // Make the rename itself durable; not every platform can open a folder, which is harmless.
  const dir = await open(dirname(path), 'r').catch(() => null);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}
