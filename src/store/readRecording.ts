import { closeSync, openSync, readSync } from 'node:fs';

import type { ToolflightEvent } from '../events/types.js';
import { openError } from './fileErrors.js';
import { readJsonl } from './readJsonl.js';
import type { ReadOptions } from './recordingProblem.js';
import { readSqlite } from './sqliteStore.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Which reader a file needs: SQLite by its header, JSONL otherwise. */
export function recordingFormat(path: string): 'sqlite' | 'jsonl' {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw openError(path, error, 'read the recording');
  }
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    const read = readSync(fd, head, 0, head.length, 0);
    return read === head.length && head.equals(SQLITE_MAGIC) ? 'sqlite' : 'jsonl';
  } catch (error) {
    throw openError(path, error, 'read the recording');
  } finally {
    closeSync(fd);
  }
}

/**
 * Stream the events of a recording file, JSONL or SQLite (told apart by the file's header),
 * in bounded memory. Only an SQLite file needs the optional peer better-sqlite3.
 */
export function readRecording(path: string, options: ReadOptions = {}): Iterable<ToolflightEvent> {
  return recordingFormat(path) === 'sqlite' ? readSqlite(path, options) : readJsonl(path, options);
}
