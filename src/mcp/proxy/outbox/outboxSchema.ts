// @internal The outbox file's schema, its identity (application_id, user_version), its
// migrations and rows.
import type { DeadEntry, KeptCatalogRow, PendingEntry } from './Outbox.js';

/** `PRAGMA application_id` of an outbox file: "tfob". */
export const OUTBOX_APPLICATION_ID = 0x74666f62;

/**
 * What version 1 created, byte for byte: files in the field were made by it, so it is never
 * edited. A new file gets it and then every migration, so a new file and an old one migrated
 * have the same schema by construction.
 */
export const OUTBOX_SCHEMA_V1 = `
  CREATE TABLE pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    tool TEXT NOT NULL,
    args TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at INTEGER NOT NULL
  );
  CREATE TABLE dead (
    key TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    args TEXT NOT NULL,
    reason TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL,
    died_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL
  );
  PRAGMA application_id = ${OUTBOX_APPLICATION_ID};
  PRAGMA user_version = 1;
`;

/**
 * `OUTBOX_MIGRATIONS[n - 1]` takes a file from version `n` to `n + 1`; each ends by setting the
 * version it reaches. Append only: a released migration is never edited.
 */
export const OUTBOX_MIGRATIONS: readonly string[] = [
  // 1 -> 2: the upstream's last good catalog, for a proxy that starts while the upstream is down.
  // One row per part (`tools`, `initialize`), replaced as a whole; `digest` is the sha256 of
  // `json`, checked on load, because the text came from another party and may be damaged.
  `
  CREATE TABLE kept_catalog (
    part TEXT PRIMARY KEY,
    server TEXT NOT NULL,
    json TEXT NOT NULL,
    digest TEXT NOT NULL,
    kept_at INTEGER NOT NULL
  );
  PRAGMA user_version = 2;
  `,
];

/** `PRAGMA user_version` this code writes and reads. */
export const OUTBOX_SCHEMA_VERSION = 1 + OUTBOX_MIGRATIONS.length;

/** The first version that has the `kept_catalog` table. */
export const KEPT_CATALOG_VERSION = 2;

export interface PendingRow {
  readonly seq: number;
  readonly key: string;
  readonly tool: string;
  readonly args: string;
  readonly enqueued_at: number;
  readonly attempts: number;
  readonly last_error: string | null;
  readonly next_attempt_at: number;
}

export interface DeadRow {
  readonly key: string;
  readonly tool: string;
  readonly args: string;
  readonly reason: string;
  readonly enqueued_at: number;
  readonly died_at: number;
  readonly attempts: number;
}

const parseArgs = (text: string): Readonly<Record<string, unknown>> => {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
};

export interface KeptCatalogDbRow {
  readonly part: string;
  readonly server: string;
  readonly json: string;
  readonly digest: string;
  readonly kept_at: number;
}

export const keptCatalogOf = (row: KeptCatalogDbRow): KeptCatalogRow => ({
  part: row.part,
  server: row.server,
  json: row.json,
  digest: row.digest,
  keptAt: row.kept_at,
});

export const pendingOf = (row: PendingRow): PendingEntry => ({
  seq: row.seq,
  key: row.key,
  tool: row.tool,
  args: parseArgs(row.args),
  enqueuedAt: row.enqueued_at,
  attempts: row.attempts,
  lastError: row.last_error ?? undefined,
  nextAttemptAt: row.next_attempt_at,
});

export const deadOf = (row: DeadRow): DeadEntry => ({
  key: row.key,
  tool: row.tool,
  args: parseArgs(row.args),
  reason: row.reason,
  enqueuedAt: row.enqueued_at,
  diedAt: row.died_at,
  attempts: row.attempts,
});
