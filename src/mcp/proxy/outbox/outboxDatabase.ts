// @internal Opening an outbox file: refuse what is not one (with what to do instead), give a new
// file the schema, and set the pragmas durability and fault safety rest on.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';

import { OutboxError } from './OutboxError.js';
import {
  OUTBOX_APPLICATION_ID,
  OUTBOX_MIGRATIONS,
  OUTBOX_SCHEMA_V1,
  OUTBOX_SCHEMA_VERSION,
} from './outboxSchema.js';
import type { OutboxOpenOptions } from './Outbox.js';
import { ToolflightError, messageOf } from '../../../errors.js';
import { openSqlite, type SqliteDatabase } from '../../../store/loadSqlite.js';

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
};

/** Why SQLite refused a write, in words an operator can act on. */
export function writeReason(error: unknown): string {
  const code = codeOf(error);
  const message = messageOf(error);
  if (code === 'SQLITE_FULL') return `the outbox is full: the disk or its size limit (${message})`;
  if (code.startsWith('SQLITE_READONLY')) return `the outbox file is read-only (${message})`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `it is open in another process or connection (${message}): a proxy holds its outbox file for as long as it runs, so stop that proxy first, or use proxy.outbox in its host`;
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return `the disk refused the write (${message}, ${code}): check that the file and its -wal are writable (not read-only, immutable or on a full disk)`;
  }
  return code === '' ? message : `${message} (${code})`;
}

/** Refuse before SQLite creates anything: a missing folder, or a folder where the file goes. */
function checkPath(path: string, existing: boolean): void {
  const kind = (at: string) => {
    try {
      return statSync(at).isDirectory() ? 'directory' : 'file';
    } catch {
      return 'missing';
    }
  };
  if (kind(dirname(path)) !== 'directory') {
    throw new OutboxError(
      'open_failed',
      `cannot open the outbox ${path}: its folder ${dirname(path)} does not exist; create it first`,
    );
  }
  const file = kind(path);
  if (file === 'directory') {
    throw new OutboxError(
      'open_failed',
      `cannot open the outbox ${path}: it is a directory; name a file inside it`,
    );
  }
  if (existing && file === 'missing') {
    throw new OutboxError('open_failed', `cannot open the outbox ${path}: no such file`);
  }
}

/** Run `body` holding the write lock, so that no other process creates or migrates meanwhile. */
function locked(db: SqliteDatabase, body: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    body();
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Run the migrations the outbox has not had, in order; call holding the lock. */
function migrate(db: SqliteDatabase): void {
  // Read under the lock: another process may have migrated it while this one waited.
  const version = db.pragma('user_version', { simple: true }) as number;
  for (const step of OUTBOX_MIGRATIONS.slice(version - 1)) db.exec(step);
}

/**
 * Check the file is an outbox this code can read; give a fresh, empty file the schema, and an
 * older outbox the migrations (not a read-only one: it is read as it is, without what is newer).
 */
function adopt(db: SqliteDatabase, path: string, existing: boolean, readonly: boolean): void {
  const application = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (application === OUTBOX_APPLICATION_ID && version >= 1) {
    if (version > OUTBOX_SCHEMA_VERSION) {
      throw new OutboxError(
        'newer_version',
        `the outbox ${path} has schema version ${version}, newer than this toolflight reads (${OUTBOX_SCHEMA_VERSION}): upgrade toolflight`,
      );
    }
    if (version < OUTBOX_SCHEMA_VERSION && !readonly) locked(db, () => migrate(db));
    return;
  }
  const tables = (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n;
  if (application !== 0 || tables > 0 || version !== 0) {
    throw new OutboxError(
      'not_an_outbox',
      `${path} is an SQLite database but not a toolflight outbox: choose another file`,
    );
  }
  if (existing) {
    throw new OutboxError('not_an_outbox', `${path} is empty, not a toolflight outbox`);
  }
  locked(db, () => {
    // Another process may have created it while this one waited for the lock.
    if ((db.pragma('user_version', { simple: true }) as number) === 0) db.exec(OUTBOX_SCHEMA_V1);
    migrate(db);
  });
}

/**
 * Open the SQLite file of an outbox, checked and set up (WAL, `synchronous=FULL`, exclusive
 * locking unless read-only). Throws `OutboxError` for anything that is not an outbox this code
 * reads, or cannot be opened, `missing_peer` included.
 */
export function openOutboxDatabase(path: string, options: OutboxOpenOptions): SqliteDatabase {
  const readonly = options.readonly === true;
  const existing = readonly || options.create === false;
  checkPath(path, existing);
  let db: SqliteDatabase | undefined;
  try {
    db = openSqlite(path, { readonly, timeout: options.busyTimeoutMs ?? 5000 }, 'the outbox');
    // Before the first read: WAL then keeps its index in this process's memory, not in an
    // mmap'd -shm file, whose truncation or `chattr +i` would kill the process with SIGBUS
    // (at the next write, or in the checkpoint on close). The price: one process at a time.
    // A read-only connection cannot take the exclusive lock; it never writes or checkpoints.
    if (!readonly) db.pragma('locking_mode = EXCLUSIVE');
    // Nor is the database file itself mapped: a truncated file must fail a read, not fault it.
    db.pragma('mmap_size = 0');
    adopt(db, path, existing, readonly);
    if (!readonly) db.pragma('journal_mode = WAL');
    // Each commit reaches the disk before enqueue returns: "queued" must survive a power cut.
    db.pragma('synchronous = FULL');
    if (options.maxBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
    }
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof OutboxError) throw error;
    // better-sqlite3 missing or not loading: an OutboxError too, so that one catch covers it.
    if (error instanceof ToolflightError) {
      throw new OutboxError('missing_peer', error.message, { cause: error });
    }
    const code = codeOf(error);
    if (code === 'SQLITE_NOTADB') {
      throw new OutboxError(
        'not_an_outbox',
        `${path} is not an SQLite database, so not a toolflight outbox: choose another file, or move this one away to start an empty outbox there`,
        { cause: error },
      );
    }
    throw new OutboxError('open_failed', `cannot open the outbox ${path}: ${writeReason(error)}`, {
      cause: error,
    });
  }
}
