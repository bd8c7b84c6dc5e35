// Regression: acknowledged writes were lost when the outbox file was deleted under a running
// proxy. SQLite kept writing to the unlinked file, agents kept hearing `queued: true`, and after
// a restart none of those writes arrived. An acknowledgement is now only given for a row in the
// file at the path the operator named.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { createProxy, openOutbox, OutboxError, type Outbox } from '../../src/mcp/index.js';
import { createTracker } from '../../src/index.js';
import { call, ofType, onCleanup, proxyWithOutbox, tempDir, writeUpstream } from './support.js';

const GARBAGE = 'not an outbox, just text written over it by someone else, long enough'.repeat(2);

/** An outbox at a fresh path, closed after the test, with one entry queued. */
async function queuedOne(): Promise<{ path: string; outbox: Outbox }> {
  const path = join(await tempDir(), 'outbox.db');
  const outbox = openOutbox(path);
  onCleanup(() => Promise.resolve(outbox.close()));
  outbox.enqueue({ key: 'before', tool: 'send', args: {}, now: 1 });
  return { path, outbox };
}

const refusal = (body: () => unknown): OutboxError => {
  try {
    body();
  } catch (error) {
    if (error instanceof OutboxError) return error;
    throw error;
  }
  throw new Error('expected an OutboxError, and nothing was thrown');
};

const enqueueAfter = (outbox: Outbox) => () =>
  outbox.enqueue({ key: 'after', tool: 'send', args: {}, now: 2 });

describe('an outbox whose file changes under it', () => {
  it('refuses to queue once the file and its -wal are deleted, saying why and what to do', async () => {
    const { path, outbox } = await queuedOne();
    rmSync(path);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    const error = refusal(enqueueAfter(outbox));
    expect(error.code).toBe('file_replaced');
    expect(error.message).toMatch(
      new RegExp(`the outbox ${path} was removed or moved away .*restart the proxy`),
    );
    // Taken back from the file left behind, so "not queued" holds there too.
    expect(outbox.pending().map((entry) => entry.key)).toEqual(['before']);
  });

  it('refuses to queue when only the -wal, which holds the latest writes, is deleted', async () => {
    const { path, outbox } = await queuedOne();
    rmSync(`${path}-wal`);
    expect(refusal(enqueueAfter(outbox)).message).toMatch(/lost its write-ahead log .*-wal/);
  });

  it('refuses to queue when another file is moved to its path', async () => {
    const { path, outbox } = await queuedOne();
    const other = join(await tempDir(), 'other.db');
    writeFileSync(other, GARBAGE);
    renameSync(other, path);
    expect(refusal(enqueueAfter(outbox)).message).toMatch(/was replaced by another file/);
  });

  it('refuses to queue when the file is overwritten in place, and refuses to start on it after', async () => {
    const { path, outbox } = await queuedOne();
    writeFileSync(path, GARBAGE); // same inode, as `cp` over it does
    expect(refusal(enqueueAfter(outbox)).message).toMatch(/was overwritten/);
    outbox.close();
    const reopened = refusal(() => openOutbox(path));
    expect(reopened.code).toBe('not_an_outbox');
    expect(reopened.message).toMatch(/not an SQLite database.*move this one away/);
  });

  it('refuses a retry into a removed file, but keeps reading and delivering from it', async () => {
    const { path, outbox } = await queuedOne();
    outbox.reject('before', 'HTTP 422', 2);
    rmSync(path);
    expect(refusal(() => outbox.retry('before', 3)).code).toBe('file_replaced');
    // What was acknowledged before is still in this process's hands: the worker may deliver it.
    expect(outbox.counts()).toEqual({ pending: 1, dead: 0 });
    expect(outbox.delivered('before')).toBe(true);
  });

  it('behind a proxy: answers -32002 saying why once the file is deleted, logs it once, and never says queued', async () => {
    const upstream = await writeUpstream();
    const path = join(await tempDir(), 'outbox.db');
    const warnings: string[] = [];
    const harness = await proxyWithOutbox(
      upstream,
      { path },
      { logger: { warn: (message) => void warnings.push(message) } },
    );
    await upstream.stop();
    const first = await call(harness.agent, 'write_a', { writeId: 'w1', idempotencyKey: 'k1' });
    expect(first.structuredContent).toMatchObject({ queued: true });

    for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
    const refused = await Promise.all(
      ['w2', 'w3'].map((writeId) =>
        call(harness.agent, 'write_a', { writeId }).catch((error: unknown) => error),
      ),
    );
    for (const error of refused) {
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32002);
      expect((error as McpError).message).toMatch(
        /could not be queued: .*was removed or moved away/,
      );
    }
    expect(harness.events().filter(ofType('outbox.enqueued'))).toHaveLength(1);
    expect(warnings.filter((line) => /outbox refused a call/.test(line))).toHaveLength(1);
    expect(warnings[0]).toMatch(/was removed or moved away .*restart the proxy/);
  });

  it('a proxy refuses to start on a file replaced with garbage, saying what to do', async () => {
    const path = join(await tempDir(), 'outbox.db');
    openOutbox(path).close();
    writeFileSync(path, GARBAGE);
    await expect(
      createProxy({
        tracker: createTracker(),
        upstream: { url: 'http://127.0.0.1:9/mcp' },
        outbox: { path },
      }),
    ).rejects.toSatisfy(
      (error) =>
        error instanceof OutboxError &&
        error.code === 'not_an_outbox' &&
        /choose another file, or move this one away/.test(error.message),
    );
  });
});
