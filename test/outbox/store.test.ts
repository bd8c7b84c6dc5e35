import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

import { openOutbox, OutboxError } from '../../src/mcp/index.js';
import { onCleanup, tempDir } from './support.js';

const codeOf = (body: () => unknown): string | undefined => {
  try {
    body();
  } catch (error) {
    return error instanceof OutboxError ? error.code : `not an OutboxError: ${String(error)}`;
  }
  return undefined;
};

const open = (path: string, options?: Parameters<typeof openOutbox>[1]) => {
  const outbox = openOutbox(path, options);
  onCleanup(() => Promise.resolve(outbox.close()));
  return outbox;
};

describe('the outbox file', () => {
  it('is WAL with synchronous=FULL, and keeps entries across reopening in seq order', async () => {
    const path = join(await tempDir(), 'outbox.db');
    const first = openOutbox(path);
    first.enqueue({ key: 'k1', tool: 'a', args: { x: 1, idempotencyKey: 'k1' }, now: 10 });
    first.enqueue({ key: 'k2', tool: 'b', args: { idempotencyKey: 'k2' }, now: 11 });
    first.close();
    const again = open(path);
    expect(again.pending()).toMatchObject([
      { seq: 1, key: 'k1', tool: 'a', args: { x: 1 }, enqueuedAt: 10, attempts: 0 },
      { seq: 2, key: 'k2', tool: 'b', enqueuedAt: 11 },
    ]);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('adds no second row for a key already pending', async () => {
    const outbox = open(join(await tempDir(), 'o.db'));
    const entry = { key: 'k', tool: 'a', args: {}, now: 1 };
    expect(outbox.enqueue(entry).kind).toBe('queued');
    expect(outbox.enqueue({ ...entry, now: 2 })).toMatchObject({
      kind: 'duplicate',
      entry: { enqueuedAt: 1 },
    });
    expect(outbox.counts()).toEqual({ pending: 1, dead: 0 });
  });

  it('moves entries to the dead letters and back, and drops either kind', async () => {
    const outbox = open(join(await tempDir(), 'o.db'));
    outbox.enqueue({ key: 'k', tool: 'a', args: { v: 1 }, now: 1 });
    outbox.failed('k', 'HTTP 500', 50);
    expect(outbox.reject('k', 'HTTP 422 bad', 100, true)).toMatchObject({
      attempts: 2,
      diedAt: 100,
    });
    expect(outbox.dead()).toMatchObject([
      { key: 'k', tool: 'a', args: { v: 1 }, reason: 'HTTP 422 bad' },
    ]);
    expect(outbox.retry('k', 200)).toMatchObject({
      key: 'k',
      attempts: 0,
      enqueuedAt: 200,
      nextAttemptAt: 200,
    });
    expect(outbox.counts()).toEqual({ pending: 1, dead: 0 });
    expect(outbox.drop('k')).toBe('pending');
    outbox.enqueue({ key: 'd', tool: 'a', args: {}, now: 1 });
    outbox.reject('d', 'expired', 2);
    expect(outbox.drop('d')).toBe('dead');
    expect(codeOf(() => outbox.drop('d'))).toBe('unknown_key');
    expect(codeOf(() => outbox.retry('nope', 1))).toBe('unknown_key');
  });

  it('refuses a missing folder, a directory, a non-database and a foreign database, creating nothing', async () => {
    const dir = await tempDir();
    expect(codeOf(() => openOutbox(join(dir, 'missing', 'o.db')))).toBe('open_failed');
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    mkdirSync(join(dir, 'folder'));
    expect(codeOf(() => openOutbox(join(dir, 'folder')))).toBe('open_failed');
    writeFileSync(
      join(dir, 'notes.txt'),
      'this is not a database, just some text that is long enough',
    );
    expect(codeOf(() => openOutbox(join(dir, 'notes.txt')))).toBe('not_an_outbox');
    const foreign = new Database(join(dir, 'other.db'));
    foreign.exec('CREATE TABLE t (x)');
    foreign.close();
    expect(codeOf(() => openOutbox(join(dir, 'other.db')))).toBe('not_an_outbox');
    expect(readdirSync(dir).sort()).toEqual(['folder', 'notes.txt', 'other.db']);
  });

  it('refuses a file written by a newer schema version with what to do', async () => {
    const path = join(await tempDir(), 'o.db');
    openOutbox(path).close();
    const db = new Database(path);
    db.pragma('user_version = 2');
    db.close();
    expect(() => openOutbox(path)).toThrow(/schema version 2, newer .*upgrade toolflight/);
  });

  it('fails a write with write_failed when the size limit is reached, and keeps what it had', async () => {
    const outbox = open(join(await tempDir(), 'o.db'), { maxBytes: 16 * 1024 });
    let queued = 0;
    let error: unknown;
    for (let i = 0; i < 100 && error === undefined; i++) {
      try {
        outbox.enqueue({ key: `k${i}`, tool: 'a', args: { pad: 'x'.repeat(1000) }, now: i });
        queued += 1;
      } catch (caught) {
        error = caught;
      }
    }
    expect(error).toBeInstanceOf(OutboxError);
    expect((error as OutboxError).code).toBe('write_failed');
    expect((error as OutboxError).message).toMatch(/the outbox is full/);
    expect(outbox.counts().pending).toBe(queued);
  });

  it('throws outbox_closed after close', async () => {
    const outbox = openOutbox(join(await tempDir(), 'o.db'));
    outbox.close();
    outbox.close();
    expect(codeOf(() => outbox.pending())).toBe('outbox_closed');
    expect(codeOf(() => outbox.enqueue({ key: 'k', tool: 'a', args: {}, now: 1 }))).toBe(
      'outbox_closed',
    );
  });
});
