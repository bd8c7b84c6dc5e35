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
    expect(unknown.err).toMatch(/no pending or dead entry with key "nope"/);
    expect((await cli('outbox', 'retry', path, 'nope')).err).toMatch(/no dead or pending entry/);

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
    const listed = await cli('outbox', 'list', path);
    expect(listed.out[0]).toMatch(/^dead {4}k-p1 {2}plain_write .*HTTP 409 conflict$/);
    await first.stop();

    upstream.refuse = undefined;
    expect((await cli('outbox', 'retry', path, 'k-p1')).out).toEqual([
      're-queued k-p1 (plain_write)',
    ]);
    const second = await startProxyCli(args);
    const delivered = second.line(/^outbox\.delivered k-p1/);
    await delivered;
    expect(upstream.effects.get('p1')).toBe(1);
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
