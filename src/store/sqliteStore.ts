import { ToolflightError } from '../errors.js';
import { DecodeError, decodeEvent, encodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';
import type { EventStore } from './EventStore.js';
import { StoreListeners } from './listeners.js';
import { openSqlite, type SqliteDatabase } from './loadSqlite.js';
import type { ReadOptions } from './recordingProblem.js';
import { sqliteError } from './sqliteErrors.js';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** `create` (default): the table must be empty. `overwrite`: delete its rows first. */
  readonly mode?: 'create' | 'overwrite';
  /** How long to wait for another process's lock before failing. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS toolflight_events (
    seq INTEGER PRIMARY KEY,
    capture TEXT,
    type TEXT NOT NULL,
    line TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS toolflight_events_capture ON toolflight_events (capture, seq);
`;

/**
 * Keep a tracker's log in an SQLite file (WAL mode): one row per event, `seq` as the primary key,
 * indexed by capture, each row holding the event's JSONL line. Needs the optional peer
 * better-sqlite3 (a `ToolflightError` `missing_peer` says how to install it).
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): EventStore {
  let db: SqliteDatabase;
  try {
    db = openSqlite(path, { timeout: options.busyTimeoutMs ?? 5000 }, 'the SQLite event store');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    const count = (db.prepare('SELECT count(*) AS n FROM toolflight_events').get() as { n: number })
      .n;
    if (count > 0 && options.mode !== 'overwrite') {
      db.close();
      throw new ToolflightError(
        'invalid_argument',
        `${path} already holds ${count} events: choose another file, or pass { mode: 'overwrite' } to replace them`,
      );
    }
    if (count > 0) db.exec('DELETE FROM toolflight_events');
  } catch (error) {
    throw sqliteError(path, error, 'open the event store');
  }
  const insert = db.prepare(
    'INSERT INTO toolflight_events (seq, capture, type, line) VALUES (?, ?, ?, ?)',
  );
  const listeners = new StoreListeners();
  let last = 0;

  return {
    append(event) {
      try {
        insert.run(event.seq, event.capture ?? null, event.type, encodeEvent(event));
      } catch (error) {
        throw sqliteError(path, error, `append event ${event.seq} to`);
      }
      last = event.seq;
      listeners.notify(event);
    },
    read: (fromSeq) => readSqliteRows(db, path, { fromSeq }),
    lastSeq: () => last,
    subscribe: (listener) => listeners.subscribe(listener),
    close() {
      if (db.open) db.close();
    },
  };
}

/**
 * Stream the events of an SQLite event store file, in seq order, without loading them all.
 * Bad rows are handled as {@link ReadOptions} says. Needs the optional peer better-sqlite3.
 */
export function* readSqlite(path: string, options: ReadOptions = {}): Generator<ToolflightEvent> {
  let db: SqliteDatabase;
  try {
    db = openSqlite(
      path,
      { readonly: true, fileMustExist: true, timeout: 2000 },
      'reading an SQLite recording',
    );
  } catch (error) {
    throw sqliteError(path, error, 'read the event store');
  }
  try {
    yield* readSqliteRows(db, path, options);
  } finally {
    db.close();
  }
}

function* readSqliteRows(
  db: SqliteDatabase,
  path: string,
  options: ReadOptions,
): Generator<ToolflightEvent> {
  let rows: IterableIterator<unknown[]>;
  try {
    rows = db
      .prepare('SELECT seq, line FROM toolflight_events WHERE seq >= ? ORDER BY seq')
      .raw()
      .iterate(options.fromSeq ?? 1) as IterableIterator<unknown[]>;
  } catch (error) {
    throw sqliteError(path, error, 'read the event store');
  }
  const onProgress = options.onProgress;
  const lastRow = onProgress
    ? Number(
        (db.prepare('SELECT max(seq) AS m FROM toolflight_events').get() as { m: number | null })
          .m ?? 0,
      )
    : 0;
  for (const [seq, line] of rows) {
    if (onProgress && lastRow > 0 && Number(seq) % 10_000 === 0) onProgress(Number(seq) / lastRow);
    try {
      yield decodeEvent(String(line), { source: path, line: Number(seq) });
    } catch (error) {
      if (!options.onProblem || !(error instanceof DecodeError)) throw error;
      options.onProblem({
        source: path,
        line: Number(seq),
        code: error.code,
        message: error.message,
      });
    }
  }
}
