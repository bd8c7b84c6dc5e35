import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

import { openOutbox, OutboxError } from '../../src/mcp/index.js';
import { runNode } from '../support/runNode.js';
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
    const again = openOutbox(path);
    expect(again.pending()).toMatchObject([
      { seq: 1, key: 'k1', tool: 'a', args: { x: 1 }, enqueuedAt: 10, attempts: 0 },
      { seq: 2, key: 'k2', tool: 'b', enqueuedAt: 11 },
    ]);
    again.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps its WAL index in memory (no -shm to fault on) and is held by one connection at a time', async () => {
    const path = join(await tempDir(), 'outbox.db');
    const outbox = openOutbox(path);
    outbox.enqueue({ key: 'k1', tool: 'a', args: {}, now: 1 });
    expect(existsSync(`${path}-shm`)).toBe(false);
    const second = (() => {
      try {
        openOutbox(path, { busyTimeoutMs: 0 }).close();
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(second).toBeInstanceOf(OutboxError);
    expect((second as OutboxError).code).toBe('open_failed');
    expect((second as OutboxError).message).toMatch(
      /is open in another process or connection .*stop that proxy first, or use proxy.outbox/,
    );
    outbox.close();
    const reader = openOutbox(path, { readonly: true });
    expect(reader.counts()).toEqual({ pending: 1, dead: 0 });
    reader.close();
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
      kind: 'requeued',
      entry: { key: 'k', attempts: 0, enqueuedAt: 200, nextAttemptAt: 200 },
    });
    expect(outbox.counts()).toEqual({ pending: 1, dead: 0 });
    outbox.failed('k', 'HTTP 500', 900);
    expect(outbox.retry('k', 300)).toMatchObject({
      kind: 'due',
      entry: { key: 'k', attempts: 1, enqueuedAt: 200, nextAttemptAt: 300 },
    });
    expect(outbox.drop('k')).toBe('pending');
    outbox.enqueue({ key: 'd', tool: 'a', args: {}, now: 1 });
    outbox.reject('d', 'expired', 2);
    expect(outbox.drop('d')).toBe('dead');
  });

  // Regression: retry of a delivered key threw OutboxError unknown_key, unlike the tracker,
  // which answers a command it refuses with undefined.
  it('answers retry and drop of a key it does not hold (delivered, dropped, never queued) with undefined', async () => {
    const outbox = open(join(await tempDir(), 'o.db'));
    outbox.enqueue({ key: 'sent', tool: 'a', args: {}, now: 1 });
    expect(outbox.delivered('sent')).toBe(true);
    expect(outbox.retry('sent', 2)).toBeUndefined();
    expect(outbox.drop('sent')).toBeUndefined();
    expect(outbox.retry('never', 2)).toBeUndefined();
    expect(outbox.drop('never')).toBeUndefined();
    expect(outbox.counts()).toEqual({ pending: 0, dead: 0 });
    // A programming error still throws: the outbox is closed.
    outbox.close();
    expect(codeOf(() => outbox.retry('sent', 3))).toBe('outbox_closed');
    expect(codeOf(() => outbox.drop('sent'))).toBe('outbox_closed');
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
    db.pragma('user_version = 3');
    db.close();
    expect(() => openOutbox(path)).toThrow(/schema version 3, newer .*upgrade toolflight/);
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

  // Found in review: without better-sqlite3, openOutbox threw a plain ToolflightError, so a host
  // that caught OutboxError (everything else openOutbox throws) missed it.
  it('refuses to open without better-sqlite3 with an OutboxError missing_peer, naming what to install', async () => {
    const path = join(await tempDir(), 'outbox.db');
    const { code, stdout, stderr } = await runNode(
      [
        '--import',
        'tsx',
        '--import',
        './test/fixtures/peers/hidePackages.ts',
        'test/outbox/fixtures/openWithoutSqlite.ts',
        path,
      ],
      { HIDE_PACKAGES: 'better-sqlite3' },
    );
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      outboxError: true,
      toolflightError: true,
      code: 'missing_peer',
      message: expect.stringMatching(
        /the outbox needs the optional peer dependency better-sqlite3, which is not installed: run `npm install better-sqlite3@\^12`/,
      ) as unknown,
    });
    expect(existsSync(path)).toBe(false);
  }, 30_000);
});
