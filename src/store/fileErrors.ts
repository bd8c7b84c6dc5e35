import { ToolflightError, messageOf } from '../errors.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EFBIG: 'the file is as large as it may grow (a file size limit)',
  EDQUOT: 'the disk quota is used up',
  EEXIST: 'the file exists already',
};

/** @internal A file error as a `ToolflightError` that names the path and what was attempted. */
export function openError(path: string, error: unknown, attempt: string): ToolflightError {
  const code = (error as { code?: unknown }).code;
  const reason = (typeof code === 'string' && REASONS[code]) || messageOf(error);
  return new ToolflightError('io_error', `cannot ${attempt} ${path}: ${reason}`);
}
