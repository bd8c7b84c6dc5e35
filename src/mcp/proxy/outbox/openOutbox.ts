import { statSync } from 'node:fs';
import { dirname } from 'node:path';

import type { Outbox, OutboxOpenOptions, PendingEntry } from './Outbox.js';
import { OutboxError } from './OutboxError.js';
import {
  deadOf,
  OUTBOX_APPLICATION_ID,
  OUTBOX_SCHEMA,
  OUTBOX_SCHEMA_VERSION,
  pendingOf,
  type DeadRow,
  type PendingRow,
} from './outboxSchema.js';
import { ToolflightError, messageOf } from '../../../errors.js';
import { openSqlite, type SqliteDatabase } from '../../../store/loadSqlite.js';

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
};

/** Why SQLite refused a write, in words an operator can act on. */
function writeReason(error: unknown): string {
  const code = codeOf(error);
  const message = messageOf(error);
  if (code === 'SQLITE_FULL') return `the outbox is full: the disk or its size limit (${message})`;
  if (code.startsWith('SQLITE_READONLY')) return `the outbox file is read-only (${message})`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `another process holds a lock on the outbox (${message})`;
  }
  if (code.startsWith('SQLITE_IOERR')) return `the disk refused the write (${message}, ${code})`;
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

/** Check the file is an outbox this code can read; give a fresh, empty file the schema. */
function adopt(db: SqliteDatabase, path: string, existing: boolean): void {
  const application = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (application === OUTBOX_APPLICATION_ID) {
    if (version > OUTBOX_SCHEMA_VERSION) {
      throw new OutboxError(
        'newer_version',
        `the outbox ${path} has schema version ${version}, newer than this toolflight reads (${OUTBOX_SCHEMA_VERSION}): upgrade toolflight`,
      );
    }
    if (version === OUTBOX_SCHEMA_VERSION) return;
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
  db.exec('BEGIN IMMEDIATE');
  try {
    // Another process may have created it while this one waited for the lock.
    if ((db.pragma('user_version', { simple: true }) as number) === 0) db.exec(OUTBOX_SCHEMA);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

function open(path: string, options: OutboxOpenOptions): SqliteDatabase {
  const readonly = options.readonly === true;
  const existing = readonly || options.create === false;
  checkPath(path, existing);
  let db: SqliteDatabase | undefined;
  try {
    db = openSqlite(path, { readonly, timeout: options.busyTimeoutMs ?? 5000 }, 'the outbox');
    adopt(db, path, existing);
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
    // Ours already: an OutboxError, or better-sqlite3 missing (`missing_peer`).
    if (error instanceof ToolflightError) throw error;
    const code = codeOf(error);
    if (code === 'SQLITE_NOTADB') {
      throw new OutboxError(
        'not_an_outbox',
        `${path} is not an SQLite database, so not a toolflight outbox: choose another file`,
        { cause: error },
      );
    }
    throw new OutboxError('open_failed', `cannot open the outbox ${path}: ${writeReason(error)}`, {
      cause: error,
    });
  }
}

/**
 * Open (or create) a durable outbox file: SQLite in WAL mode with `synchronous=FULL`, so an entry
 * is on disk before `enqueue` returns and survives `kill -9` and power loss. Needs the optional
 * peer better-sqlite3: without it, a `ToolflightError` `missing_peer` says how to install it.
 *
 * @example
 * const outbox = openOutbox('/var/lib/agent/outbox.db');
 * for (const entry of outbox.pending()) console.log(entry.key, entry.tool, entry.attempts);
 * outbox.close();
 */
export function openOutbox(path: string, options: OutboxOpenOptions = {}): Outbox {
  const db = open(path, options);
  const sql = {
    insert: db.prepare(
      `INSERT INTO pending (key, tool, args, enqueued_at, attempts, next_attempt_at)
       VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (key) DO NOTHING`,
    ),
    forgetDead: db.prepare('DELETE FROM dead WHERE key = ?'),
    pendingByKey: db.prepare('SELECT * FROM pending WHERE key = ?'),
    deadByKey: db.prepare('SELECT * FROM dead WHERE key = ?'),
    pending: db.prepare('SELECT * FROM pending ORDER BY seq'),
    dead: db.prepare('SELECT * FROM dead ORDER BY died_at, key'),
    counts: db.prepare(
      'SELECT (SELECT count(*) FROM pending) AS pending, (SELECT count(*) FROM dead) AS dead',
    ),
    deletePending: db.prepare('DELETE FROM pending WHERE key = ?'),
    failed: db.prepare(
      `UPDATE pending SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
       WHERE key = ?`,
    ),
    bury: db.prepare(
      `INSERT OR REPLACE INTO dead (key, tool, args, reason, enqueued_at, died_at, attempts)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    due: db.prepare('UPDATE pending SET next_attempt_at = ? WHERE key = ?'),
  };
  const write = <T>(what: string, body: () => T): T => {
    if (!db.open) throw new OutboxError('outbox_closed', `the outbox ${path} is closed`);
    try {
      return db.transaction(body)();
    } catch (error) {
      if (error instanceof OutboxError) throw error;
      throw new OutboxError('write_failed', `cannot ${what} in ${path}: ${writeReason(error)}`, {
        cause: error,
      });
    }
  };
  const read = <T>(body: () => T): T => {
    if (!db.open) throw new OutboxError('outbox_closed', `the outbox ${path} is closed`);
    return body();
  };
  const unknown = (key: string, where: string) =>
    new OutboxError('unknown_key', `no ${where} entry with key ${JSON.stringify(key)} in ${path}`);
  const pendingEntry = (key: string) => {
    const row = sql.pendingByKey.get(key) as PendingRow | undefined;
    return row === undefined ? undefined : pendingOf(row);
  };

  return {
    path,
    enqueue: ({ key, tool, args, now }) =>
      write('queue the call', () => {
        const added = sql.insert.run(key, tool, JSON.stringify(args), now, now);
        if (added.changes === 0) return { kind: 'duplicate', entry: pendingEntry(key)! };
        // A key that died before and comes again is a new attempt: it supersedes the letter.
        sql.forgetDead.run(key);
        const seq = Number(added.lastInsertRowid);
        const entry: PendingEntry = {
          seq,
          key,
          tool,
          args,
          enqueuedAt: now,
          attempts: 0,
          lastError: undefined,
          nextAttemptAt: now,
        };
        return { kind: 'queued', entry };
      }),
    pending: () => read(() => (sql.pending.all() as PendingRow[]).map(pendingOf)),
    dead: () => read(() => (sql.dead.all() as DeadRow[]).map(deadOf)),
    counts: () => read(() => sql.counts.get() as { pending: number; dead: number }),
    delivered: (key) =>
      write('remove a delivered entry', () => sql.deletePending.run(key).changes > 0),
    failed: (key, error, nextAttemptAt) =>
      void write('record a failed delivery', () => sql.failed.run(error, nextAttemptAt, key)),
    reject: (key, reason, now, attempted = false) =>
      write('move an entry to the dead letters', () => {
        const row = sql.pendingByKey.get(key) as PendingRow | undefined;
        if (row === undefined) return undefined;
        const { tool, args, enqueued_at: enqueuedAt } = row;
        const attempts = row.attempts + (attempted ? 1 : 0);
        sql.bury.run(key, tool, args, reason, enqueuedAt, now, attempts);
        sql.deletePending.run(key);
        return deadOf({ key, tool, args, reason, enqueued_at: enqueuedAt, died_at: now, attempts });
      }),
    retry: (key, now) =>
      write('re-queue an entry', () => {
        const row = sql.deadByKey.get(key) as DeadRow | undefined;
        if (row === undefined) {
          if (sql.due.run(now, key).changes > 0) return pendingEntry(key)!;
          throw unknown(key, 'dead or pending');
        }
        sql.forgetDead.run(key);
        // A re-queued letter starts a fresh life: attempts and its time to live.
        sql.insert.run(key, row.tool, row.args, now, now);
        return pendingEntry(key)!;
      }),
    drop: (key) =>
      write('drop an entry', () => {
        if (sql.deletePending.run(key).changes > 0) return 'pending';
        if (sql.forgetDead.run(key).changes > 0) return 'dead';
        throw unknown(key, 'pending or dead');
      }),
    close() {
      if (db.open) db.close();
    },
  };
}
