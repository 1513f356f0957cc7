/**
 * A file-system error as a user-facing sentence of the right kind: a missing file is
 * `not-found`, a refused one `not-permitted`, anything else `unreadable`. Kept in one place so
 * no reader reports a permission problem as "file not found".
 */
import { UserFacingError, type ErrorCode } from '../../../common/contract/result.js';

const KINDS: Readonly<Record<string, { readonly code: ErrorCode; readonly why: string }>> = {
  ENOENT: { code: 'not-found', why: 'file not found' },
  ENOTDIR: { code: 'not-found', why: 'a part of its path is not a folder' },
  EACCES: { code: 'not-permitted', why: 'permission denied' },
  EPERM: { code: 'not-permitted', why: 'permission denied' },
  EISDIR: { code: 'unreadable', why: 'it is a folder, not a file' },
  ELOOP: { code: 'unreadable', why: 'its symbolic links form a loop' },
  EMFILE: { code: 'busy', why: 'too many files are open; close some programs and try again' },
  EIO: { code: 'unreadable', why: 'the disk reported an input/output error' },
};

/** `Cannot read <name>: <why>.` with the kind that matches the error. */
export function fileError(name: string, e: NodeJS.ErrnoException, verb = 'read'): UserFacingError {
  const k = e.code ? KINDS[e.code] : undefined;
  return new UserFacingError(k?.code ?? 'unreadable', `Cannot ${verb} ${name}: ${k?.why ?? e.message}.`);
}
