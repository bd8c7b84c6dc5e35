import type { Enqueued, Outbox, OutboxOpenOptions, PendingEntry, Retried } from './Outbox.js';
import { OutboxError } from './OutboxError.js';
import { openOutboxDatabase, writeReason } from './outboxDatabase.js';
import { watchOutboxFile, type OutboxFile } from './outboxFile.js';
import {
  deadOf,
  KEPT_CATALOG_VERSION,
  keptCatalogOf,
  OUTBOX_APPLICATION_ID,
  pendingOf,
  type DeadRow,
  type KeptCatalogDbRow,
  type PendingRow,
} from './outboxSchema.js';
import { messageOf } from '../../../errors.js';

const readOnlyV1 = (path: string): string =>
  `cannot keep the catalog in ${path}: it was opened read-only before it had a catalog table; open it writable once to migrate it`;

/**
 * Open (or create) a durable outbox file: SQLite in WAL mode with `synchronous=FULL`, so an entry
 * is on disk before `enqueue` returns and survives `kill -9` and power loss. One process holds
 * it at a time (another gets `open_failed` saying so); `readonly` opens share it with readers.
 * Needs the optional peer better-sqlite3: without it, an `OutboxError` `missing_peer` says how
 * to install it.
 *
 * @example
 * const outbox = openOutbox('/var/lib/agent/outbox.db');
 * for (const entry of outbox.pending()) console.log(entry.key, entry.tool, entry.attempts);
 * outbox.close();
 */
export function openOutbox(path: string, options: OutboxOpenOptions = {}): Outbox {
  const db = openOutboxDatabase(path, options);
  let file: OutboxFile | undefined;
  try {
    // A read-only outbox acknowledges nothing: it has nothing to check.
    if (options.readonly !== true) file = watchOutboxFile(path, OUTBOX_APPLICATION_ID);
  } catch (error) {
    db.close();
    throw new OutboxError('open_failed', `cannot open the outbox ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }
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
  // A version 1 file opened read-only was not migrated: it has no kept catalog to read.
  const kept =
    (db.pragma('user_version', { simple: true }) as number) >= KEPT_CATALOG_VERSION
      ? {
          all: db.prepare('SELECT * FROM kept_catalog ORDER BY part'),
          put: db.prepare(
            `INSERT OR REPLACE INTO kept_catalog (part, server, json, digest, kept_at)
             VALUES (?, ?, ?, ?, ?)`,
          ),
          forget: db.prepare('DELETE FROM kept_catalog WHERE part = ?'),
        }
      : undefined;
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
  const pendingEntry = (key: string) => {
    const row = sql.pendingByKey.get(key) as PendingRow | undefined;
    return row === undefined ? undefined : pendingOf(row);
  };
  /** Throws `file_replaced` when the path no longer names the file just written to. */
  const checkInPlace = (what: string, undo?: () => void) => {
    const moved = file?.moved();
    if (moved === undefined) return;
    try {
      // Taken back, so that the caller's "not kept" is true even in the file left behind.
      if (undo) write('take the write back', undo);
    } catch {
      // It cannot be undone either: that file is never opened again by anyone.
    }
    throw new OutboxError(
      'file_replaced',
      `cannot ${what}: the outbox ${path} ${moved} while this process had it open, so a write kept now would be lost; restart the proxy to open an outbox at ${path} again (entries this process queued before are delivered only while it runs)`,
    );
  };

  return {
    path,
    enqueue({ key, tool, args, now }) {
      const enqueued = write('queue the call', (): Enqueued => {
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
      });
      // After the commit: a "queued" is only true of a row in the file at `path`.
      const undo = () => void sql.deletePending.run(key);
      checkInPlace('queue the call', enqueued.kind === 'queued' ? undo : undefined);
      return enqueued;
    },
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
    retry(key, now) {
      const retried = write('re-queue an entry', (): Retried | undefined => {
        const row = sql.deadByKey.get(key) as DeadRow | undefined;
        if (row === undefined) {
          return sql.due.run(now, key).changes > 0
            ? { kind: 'due', entry: pendingEntry(key)! }
            : undefined;
        }
        sql.forgetDead.run(key);
        // A re-queued letter starts a fresh life: attempts and its time to live.
        sql.insert.run(key, row.tool, row.args, now, now);
        return { kind: 'requeued', entry: pendingEntry(key)! };
      });
      if (retried !== undefined) checkInPlace('re-queue an entry');
      return retried;
    },
    drop: (key) =>
      write('drop an entry', () => {
        if (sql.deletePending.run(key).changes > 0) return 'pending';
        if (sql.forgetDead.run(key).changes > 0) return 'dead';
        return undefined;
      }),
    keptCatalog: () =>
      read(() => ((kept?.all.all() ?? []) as KeptCatalogDbRow[]).map(keptCatalogOf)),
    keepCatalog({ part, server, json, digest, keptAt }) {
      write('keep the catalog', () => {
        if (kept === undefined) throw new OutboxError('write_failed', readOnlyV1(path));
        kept.put.run(part, server, json, digest, keptAt);
      });
      // No undo: a catalog kept in a file nobody opens again misleads no one.
      checkInPlace('keep the catalog');
    },
    forgetCatalog: (part) =>
      void write('forget the kept catalog', () => {
        if (kept === undefined) throw new OutboxError('write_failed', readOnlyV1(path));
        kept.forget.run(part);
      }),
    close() {
      if (!db.open) return;
      db.close();
      // Only now: closing a descriptor of the file earlier would drop SQLite's locks on it.
      file?.close();
    },
  };
}
