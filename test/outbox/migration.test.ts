// Outbox files made by an earlier schema version: version 2 added the kept catalog, and a file
// of version 1 (what every outbox in the field is) must keep its entries and gain the table on
// its first writable open, in one commit; a read-only open reads it as it is.
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

import { openOutbox, OutboxError } from '../../src/mcp/index.js';
import { OUTBOX_SCHEMA_V1 } from '../../src/mcp/proxy/outbox/outboxSchema.js';
import { keptRowOf } from '../../src/mcp/proxy/outbox/keptCatalog.js';
import { onCleanup, tempDir } from './support.js';

/** A version 1 outbox as version 1 made it (WAL, its schema), with one pending and one dead entry. */
async function versionOneFile(): Promise<string> {
  const path = join(await tempDir(), 'outbox.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(OUTBOX_SCHEMA_V1);
  db.prepare(
    `INSERT INTO pending (key, tool, args, enqueued_at, attempts, next_attempt_at)
     VALUES ('k-pending', 'write_a', '{"writeId":"p","idempotencyKey":"k-pending"}', 10, 2, 50)`,
  ).run();
  db.prepare(
    `INSERT INTO dead (key, tool, args, reason, enqueued_at, died_at, attempts)
     VALUES ('k-dead', 'write_b', '{"idempotencyKey":"k-dead"}', 'HTTP 422 no', 11, 20, 1)`,
  ).run();
  db.close();
  return path;
}

const versionOf = (path: string): number => {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

const row = keptRowOf('tools', '[{"name":"a","inputSchema":{"type":"object"}}]', 'up:1', 5);

describe('an outbox file of schema version 1', () => {
  it('is migrated on a writable open: entries kept, the kept catalog table added, and it works', async () => {
    const path = await versionOneFile();
    const outbox = openOutbox(path);
    onCleanup(() => Promise.resolve(outbox.close()));
    expect(outbox.pending()).toMatchObject([
      { key: 'k-pending', tool: 'write_a', args: { writeId: 'p' }, attempts: 2, nextAttemptAt: 50 },
    ]);
    expect(outbox.dead()).toMatchObject([{ key: 'k-dead', reason: 'HTTP 422 no' }]);
    expect(outbox.keptCatalog()).toEqual([]);
    if (!('row' in row)) throw new Error(row.problem);
    outbox.keepCatalog(row.row);
    outbox.close();
    expect(versionOf(path)).toBe(2);

    // And the next open finds it there, with no second migration.
    const again = openOutbox(path);
    onCleanup(() => Promise.resolve(again.close()));
    expect(again.keptCatalog()).toEqual([row.row]);
    expect(again.counts()).toEqual({ pending: 1, dead: 1 });
  });

  it('is read as it is by a read-only open, which cannot keep a catalog in it', async () => {
    const path = await versionOneFile();
    const reader = openOutbox(path, { readonly: true });
    onCleanup(() => Promise.resolve(reader.close()));
    expect(reader.counts()).toEqual({ pending: 1, dead: 1 });
    expect(reader.keptCatalog()).toEqual([]);
    if (!('row' in row)) throw new Error(row.problem);
    expect(() => reader.keepCatalog(row.row)).toThrow(OutboxError);
    reader.close();
    expect(versionOf(path)).toBe(1);
  });

  it('gives a new file the same schema as a migrated one', async () => {
    const schemaOf = (path: string) => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
      } finally {
        db.close();
      }
    };
    const migrated = await versionOneFile();
    openOutbox(migrated).close();
    const fresh = join(await tempDir(), 'fresh.db');
    openOutbox(fresh).close();
    expect(schemaOf(fresh)).toEqual(schemaOf(migrated));
    expect(versionOf(fresh)).toBe(versionOf(migrated));
  });
});
