import { ToolflightError, messageOf } from '../errors.js';
import { openError } from './fileErrors.js';

/** @internal An SQLite failure as a `ToolflightError` naming the file and what to do. */
export function sqliteError(path: string, error: unknown, attempt: string): ToolflightError {
  // Already ours (a create-mode refusal, a missing peer): pass it through as it is.
  if (error instanceof ToolflightError) return error as ToolflightError;
  const code = (error as { code?: unknown }).code;
  const message = messageOf(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new ToolflightError(
      'io_error',
      `cannot ${attempt} ${path}: another process holds a lock on it (${message}); close that process or use another file`,
    );
  }
  if (code === 'SQLITE_NOTADB') {
    return new ToolflightError(
      'io_error',
      `cannot ${attempt} ${path}: it is not an SQLite database`,
    );
  }
  if (code === 'SQLITE_CANTOPEN') return openError(path, { code: 'ENOENT' }, attempt);
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return new ToolflightError('io_error', `cannot ${attempt} ${path}: ${message} (${code})`);
  }
  return openError(path, error, attempt);
}
