/** File-system failures as typed errors that name the path (Node's own messages often omit it). */
import { FileError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'already exists (and is in the way)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/**
 * A FileError for a Node system error (`err.code` such as ENOENT, EISDIR, EEXIST, EACCES), or
 * null for anything else. `path` names the file when the error does not (readFileSync on a folder).
 */
export function asFileError(e: unknown, path?: string): FileError | null {
  const err = e as NodeJS.ErrnoException | null;
  if (!err || typeof err !== 'object' || typeof err.code !== 'string' || !(err.code in REASONS)) return null;
  const where = err.path ?? path ?? (err as { dest?: string }).dest ?? '(unknown path)';
  return new FileError(err.code.toLowerCase(), `${where}: ${REASONS[err.code]} (${err.code}${err.syscall ? ` in ${err.syscall}` : ''})`, where);
}
