// @internal better-sqlite3, an optional peer: loaded on first use by the SQLite event store and
// the outbox, so a host that wants neither never installs or compiles it.
import { createRequire } from 'node:module';

// Types only: erased from the JavaScript, and kept out of every public declaration, so a user
// without SQLite needs neither better-sqlite3 nor @types/better-sqlite3.
import type BetterSqlite3 from 'better-sqlite3';

import { ToolflightError, messageOf } from '../errors.js';

/** @internal An open better-sqlite3 database. */
export type SqliteDatabase = BetterSqlite3.Database;

/** @internal What `openSqlite` passes on to better-sqlite3's constructor. */
export type SqliteOpenOptions = BetterSqlite3.Options;

/** @internal The package and the range toolflight supports (13 and newer need Node 22). */
export const SQLITE_PEER = { name: 'better-sqlite3', range: '^12' } as const;

const INSTALL = `npm install ${SQLITE_PEER.name}@${SQLITE_PEER.range}`;

// The stores' APIs are synchronous, so the peer is loaded with `require`, not `import()`.
const require = createRequire(import.meta.url);
let Database: typeof BetterSqlite3 | undefined;

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** better-sqlite3 itself is absent (not one of its own dependencies). */
const isAbsent = (error: unknown): boolean =>
  codeOf(error) === 'MODULE_NOT_FOUND' &&
  messageOf(error).startsWith(`Cannot find module '${SQLITE_PEER.name}'`);

/** The compiled addon did not load: never built (install scripts skipped) or built for another Node. */
const isBrokenAddon = (error: unknown): boolean =>
  codeOf(error) === 'ERR_DLOPEN_FAILED' ||
  codeOf(error) === 'MODULE_NOT_FOUND' ||
  messageOf(error).startsWith('Could not locate the bindings file');

function load(feature: string): typeof BetterSqlite3 {
  if (Database !== undefined) return Database;
  try {
    Database = require(SQLITE_PEER.name) as typeof BetterSqlite3;
    return Database;
  } catch (error) {
    const problem = isAbsent(error)
      ? 'which is not installed'
      : `which is installed but did not load (${messageOf(error)})`;
    throw new ToolflightError(
      'missing_peer',
      `${feature} needs the optional peer dependency ${SQLITE_PEER.name}, ${problem}: run \`${INSTALL}\` (toolflight supports ${SQLITE_PEER.range}; 13 and newer need Node 22)`,
      { cause: error },
    );
  }
}

/**
 * @internal Open an SQLite file with better-sqlite3, loading it on first use. Throws
 * `ToolflightError` `missing_peer`, naming `feature` and the command to run, when the package
 * is not installed or its compiled addon does not load; SQLite's own errors pass through.
 */
export function openSqlite(
  path: string,
  options: SqliteOpenOptions,
  feature: string,
): SqliteDatabase {
  const Sqlite = load(feature);
  try {
    return new Sqlite(path, options);
  } catch (error) {
    // better-sqlite3 loads its addon in the first constructor call, not at require.
    if (!isBrokenAddon(error)) throw error;
    throw new ToolflightError(
      'missing_peer',
      `${feature} needs the compiled addon of ${SQLITE_PEER.name}, which did not load (${messageOf(error)}): run \`npm rebuild ${SQLITE_PEER.name}\` with install scripts allowed, or \`${INSTALL}\` again`,
      { cause: error },
    );
  }
}
