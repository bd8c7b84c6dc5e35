import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runCli } from '../../src/cli/main.js';
import { runProxy } from '../../src/cli/proxy.js';
import { openOutbox } from '../../src/mcp/index.js';
import { startProxyCli } from '../proxy/support.js';
import { tempDir, writeUpstream } from './support.js';

/** Run the CLI in process; resolves with its exit code and output lines. */
async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
  return { code, out, err: err.join('\n') };
}

/** An outbox file with two pending entries and one dead letter. */
async function sampleOutbox(): Promise<string> {
  const path = join(await tempDir(), 'outbox.db');
  const outbox = openOutbox(path);
  const now = Date.now();
  outbox.enqueue({ key: 'k1', tool: 'send', args: { idempotencyKey: 'k1' }, now: now - 120_000 });
  outbox.enqueue({ key: 'k2', tool: 'send', args: { idempotencyKey: 'k2' }, now });
  outbox.enqueue({ key: 'k3', tool: 'post', args: { idempotencyKey: 'k3' }, now });
  outbox.reject('k3', 'HTTP 422 no such channel', now, true);
  outbox.close();
  return path;
}

describe('toolflight outbox', { timeout: 30_000 }, () => {
  it('lists pending entries and dead letters with key, tool, age, attempts and reason', async () => {
    const path = await sampleOutbox();
    const listed = await cli('outbox', 'list', path);
    expect(listed.code).toBe(0);
    expect(listed.out).toEqual([
      'pending k1  send  age 2m  attempts 0',
      'pending k2  send  age 0s  attempts 0',
      'dead    k3  post  age 0s  attempts 1  HTTP 422 no such channel',
      '2 pending, 1 dead',
    ]);
    const json = await cli('outbox', 'list', path, '--json');
    expect(json.out.map((line) => JSON.parse(line) as unknown)).toMatchObject([
      { state: 'pending', key: 'k1', tool: 'send', attempts: 0 },
      { state: 'pending', key: 'k2' },
      { state: 'dead', key: 'k3', tool: 'post', attempts: 1, reason: 'HTTP 422 no such channel' },
    ]);
  });

  it('masks credentials in the reasons it lists, and shows every key', async () => {
    const path = join(await tempDir(), 'outbox.db');
    const outbox = openOutbox(path);
    outbox.enqueue({ key: 'k-token-1', tool: 'send', args: {}, now: Date.now() });
    outbox.reject('k-token-1', 'HTTP 401 rejected Authorization: Bearer abc123', Date.now(), true);
    outbox.enqueue({ key: 'k-token-2', tool: 'send', args: {}, now: Date.now() });
    outbox.failed('k-token-2', 'HTTP 503 from https://bot:hunter2@relay', Date.now());
    outbox.close();
    const listed = await cli('outbox', 'list', path);
    expect(listed.out).toEqual([
      'pending k-token-2  send  age 0s  attempts 1  HTTP 503 from https://bot:••••••@relay',
      'dead    k-token-1  send  age 0s  attempts 1  HTTP 401 rejected Authorization: Bearer ••••••',
      '1 pending, 1 dead',
    ]);
    const json = (await cli('outbox', 'list', path, '--json')).out.join('\n');
    expect(json).not.toMatch(/abc123|hunter2/);
    expect(json).toMatch(/"key":"k-token-1"/);
  });

  it('retries dead letters and drops entries, saying what it did', async () => {
    const path = await sampleOutbox();
    expect(await cli('outbox', 'retry', path, 'k3')).toMatchObject({
      code: 0,
      out: ['re-queued k3 (post)'],
    });
    expect(await cli('outbox', 'drop', path, 'k1', 'k3')).toMatchObject({
      code: 0,
      out: ['dropped pending k1', 'dropped pending k3'],
    });
    const outbox = openOutbox(path);
    expect(outbox.pending().map((e) => [e.key, e.attempts])).toEqual([['k2', 0]]);
    outbox.close();
  });

  it('exits non-zero with a clear message for an unknown key, a missing file, a non-outbox and bad flags', async () => {
    const path = await sampleOutbox();
    const unknown = await cli('outbox', 'drop', path, 'k2', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toEqual(['dropped pending k2']);
    expect(unknown.err).toMatch(
      /^toolflight outbox: not dropped: "nope": no pending or dead entry/,
    );
    const retried = await cli('outbox', 'retry', path, 'nope');
    expect(retried.code).toBe(1);
    expect(retried.err).toMatch(/not retried: "nope": no pending or dead entry .*outbox list/);

    const missing = join(await tempDir(), 'missing.db');
    const gone = await cli('outbox', 'list', missing);
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/no such file/);
    expect(existsSync(missing)).toBe(false);

    const text = join(await tempDir(), 'notes.txt');
    writeFileSync(text, 'plain text, long enough to have an SQLite header position or more');
    const foreign = await cli('outbox', 'list', text);
    expect(foreign.code).toBe(1);
    expect(foreign.err).toMatch(/not an SQLite database/);
    expect((await cli('outbox', 'list', path, '--nope')).code).toBe(2);
    expect((await cli('outbox', 'list')).code).toBe(2);
    expect((await cli('outbox', 'retry', path)).code).toBe(2);
    expect((await cli('outbox', 'purge', path)).code).toBe(2);
  });

  // Regression: `outbox.retry` threw unknown_key for a delivered key; the CLI must still say
  // which keys were not retried, and exit non-zero.
  it('retries the keys it holds and names those it does not (a delivered one among them), exiting 1', async () => {
    const path = await sampleOutbox();
    const outbox = openOutbox(path);
    outbox.delivered('k1');
    outbox.close();
    const result = await cli('outbox', 'retry', path, 'k3', 'k1', 'k2', 'gone');
    expect(result.code).toBe(1);
    expect(result.out).toEqual(['re-queued k3 (post)', 'k2 (send) was pending already: due now']);
    expect(result.err).toMatch(/^toolflight outbox: not retried: "k1", "gone": no pending or dead/);
    expect((await cli('outbox', 'retry', path, 'k3')).code).toBe(0);
  });

  it('proxy --outbox --buffer queues during an outage; a 4xx is listed dead; retry delivers it after a restart', async () => {
    const upstream = await writeUpstream();
    const path = join(await tempDir(), 'outbox.db');
    const args = ['--upstream', upstream.url, '--outbox', path, '--buffer', 'plain_*'];
    const first = await startProxyCli(args);
    const agent = await first.connect();
    await agent.listTools();
    const down = first.line(/^upstream down/);
    await upstream.stop();
    await down;
    const result = await agent.callTool({
      name: 'plain_write',
      arguments: { writeId: 'p1', idempotencyKey: 'k-p1' },
    });
    expect(result.structuredContent).toEqual({
      queued: true,
      tool: 'plain_write',
      idempotencyKey: 'k-p1',
    });
    upstream.refuse = () => ({ status: 409, text: 'conflict' });
    const rejected = first.line(/^outbox\.rejected k-p1/);
    await upstream.start();
    await rejected;
    // The running proxy holds its outbox file: the CLI says so, at once, and what to do.
    const held = await cli('outbox', 'list', path);
    expect(held.code).toBe(1);
    expect(held.err).toMatch(/open in another process or connection .*stop that proxy first/);
    await first.stop();
    const listed = await cli('outbox', 'list', path);
    expect(listed.out[0]).toMatch(/^dead {4}k-p1 {2}plain_write .*HTTP 409 conflict$/);

    upstream.refuse = undefined;
    expect((await cli('outbox', 'retry', path, 'k-p1')).out).toEqual([
      're-queued k-p1 (plain_write)',
    ]);
    const second = await startProxyCli(args);
    const delivered = second.line(/^outbox\.delivered k-p1/);
    await delivered;
    expect(upstream.effects.get('p1')).toBe(1);
    await second.stop();
    expect((await cli('outbox', 'list', path)).out).toEqual(['0 pending, 0 dead']);
  });

  it('proxy refuses --buffer without --outbox', async () => {
    const err: string[] = [];
    const code = await runProxy(
      ['--upstream', 'http://127.0.0.1:9/mcp', '--buffer', 'x'],
      { out: () => undefined, err: (l) => void err.push(l) },
      Promise.resolve(),
    );
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--buffer needs --outbox FILE/);
  });
});
