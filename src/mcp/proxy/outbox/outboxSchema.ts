// @internal The outbox file's schema, its identity (application_id, user_version) and rows.
import type { DeadEntry, PendingEntry } from './Outbox.js';

/** `PRAGMA application_id` of an outbox file: "tfob". */
export const OUTBOX_APPLICATION_ID = 0x74666f62;
/** `PRAGMA user_version` this code writes and reads. */
export const OUTBOX_SCHEMA_VERSION = 1;

export const OUTBOX_SCHEMA = `
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
  PRAGMA user_version = ${OUTBOX_SCHEMA_VERSION};
`;

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
