import { join } from 'node:path';

import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { createTracker } from '../../src/index.js';
import { createProxy, openOutbox, ProxyError } from '../../src/mcp/index.js';
import { nextNotice, upstreamIs } from '../proxy/support.js';
import {
  call,
  eventsSeen,
  ofType,
  onCleanup,
  proxyWithOutbox,
  tempDir,
  writeUpstream,
} from './support.js';

/** Stop the upstream and wait until the proxy has seen it go. */
async function outage(
  harness: Awaited<ReturnType<typeof proxyWithOutbox>>,
  upstream: { stop: () => Promise<void> },
) {
  const down = nextNotice(harness.proxy, upstreamIs('down'));
  await upstream.stop();
  await down;
}

describe('the outbox behind a proxy', { timeout: 60_000 }, () => {
  it('delivers 500 writes queued during an outage once it is back: in order per target, each effect once', async () => {
    const upstream = await writeUpstream();
    const dir = await tempDir();
    const harness = await proxyWithOutbox(upstream, { path: join(dir, 'outbox.db') });
    await outage(harness, upstream);
    const sent = new Map<string, string[]>([
      ['write_a', []],
      ['write_b', []],
    ]);
    for (let i = 0; i < 500; i++) {
      const tool = i % 3 === 0 ? 'write_b' : 'write_a';
      const writeId = `w${String(i).padStart(3, '0')}`;
      const result = await call(harness.agent, tool, { writeId });
      expect(result.structuredContent).toMatchObject({ queued: true, tool });
      expect(result.isError).toBeFalsy();
      sent.get(tool)!.push(writeId);
    }
    expect(harness.proxy.outbox?.counts()).toEqual({ pending: 500, dead: 0 });
    expect(upstream.effects.size).toBe(0);

    const delivered = eventsSeen(harness, ofType('outbox.delivered'), 500);
    await upstream.start();
    await delivered;
    expect(upstream.order.get('write_a')).toEqual(sent.get('write_a'));
    expect(upstream.order.get('write_b')).toEqual(sent.get('write_b'));
    expect([...upstream.effects.values()].every((n) => n === 1)).toBe(true);
    expect(upstream.effects.size).toBe(500);
    expect([...upstream.deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(harness.proxy.outbox?.counts()).toEqual({ pending: 0, dead: 0 });
    expect(harness.events().filter(ofType('outbox.enqueued'))).toHaveLength(500);
  });

  it("keeps the agent's own idempotencyKey, and a second call with it adds no second row", async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, { path: join(await tempDir(), 'o.db') });
    await outage(harness, upstream);
    const args = { writeId: 'same', idempotencyKey: 'agent-key-1' };
    const first = await call(harness.agent, 'write_a', args);
    const second = await call(harness.agent, 'write_a', args);
    expect(first.structuredContent).toEqual({
      queued: true,
      tool: 'write_a',
      idempotencyKey: 'agent-key-1',
    });
    expect(second.structuredContent).toEqual(first.structuredContent);
    expect(harness.proxy.outbox?.pending().map((entry) => entry.key)).toEqual(['agent-key-1']);
    expect(harness.events().filter(ofType('outbox.enqueued'))).toHaveLength(1);
  });

  it('answers -32002 for a write that is not bufferable, and never queues a read-only tool even when configured', async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, {
      path: join(await tempDir(), 'o.db'),
      bufferable: ['read_*'],
    });
    await outage(harness, upstream);
    for (const tool of ['plain_write', 'read_idem', 'unlisted']) {
      const error = await call(harness.agent, tool, { writeId: tool }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32002);
      expect((error as McpError).message).toMatch(/upstream unreachable/);
    }
    expect(harness.proxy.outbox?.counts()).toEqual({ pending: 0, dead: 0 });
  });

  // Regression: such a call was queued, and dead-lettered by the upstream once it was back,
  // when the agent that could have fixed it had long moved on.
  it('a bufferable call with invalid arguments was queued and later dead-lettered: it is refused with -32602 naming the tool and the first error, and nothing is queued', async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, { path: join(await tempDir(), 'o.db') });
    await outage(harness, upstream);
    const error = await call(harness.agent, 'write_a', { writeId: 42 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toMatch(
      /^MCP error -32602: Invalid params: the arguments of write_a do not fit its inputSchema \(arguments\/writeId must be string\): fix them and call again; nothing was queued$/,
    );
    expect(harness.proxy.outbox?.pending()).toEqual([]);
    expect(harness.events().filter(ofType('outbox.enqueued'))).toEqual([]);
    const result = harness.events().findLast((event) => event.type === 'toolCall.result');
    expect(result?.data).toMatchObject({ outcome: 'failed', isError: true });
    // The same tool with fitting arguments is still queued.
    const queued = await call(harness.agent, 'write_a', { writeId: 'fine' });
    expect(queued.structuredContent).toMatchObject({ queued: true, tool: 'write_a' });
  });

  it('leaves the judgement of arguments to the upstream while it is up', async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, { path: join(await tempDir(), 'o.db') });
    const result = await call(harness.agent, 'write_a', { writeId: 42 });
    expect(result.content).toEqual([{ type: 'text', text: 'write_a 42 applied' }]);
  });

  it('buffers a configured name even when the upstream never listed it', async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, {
      path: join(await tempDir(), 'o.db'),
      bufferable: ['unlisted_*'],
    });
    await outage(harness, upstream);
    const result = await call(harness.agent, 'unlisted_send', { writeId: 'x' });
    expect(result.structuredContent).toMatchObject({ queued: true, tool: 'unlisted_send' });
  });

  it('puts a 4xx refusal in the dead letters with its reason; retry re-queues and delivers it', async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, { path: join(await tempDir(), 'o.db') });
    await outage(harness, upstream);
    await call(harness.agent, 'write_a', { writeId: 'bad', idempotencyKey: 'k-bad' });
    await call(harness.agent, 'write_a', { writeId: 'good', idempotencyKey: 'k-good' });
    upstream.refuse = (seen) =>
      seen.args.writeId === 'bad' ? { status: 422, text: 'no such channel' } : undefined;
    const settled = eventsSeen(
      harness,
      (e) => ofType('outbox.delivered')(e) || ofType('outbox.rejected')(e),
      2,
    );
    await upstream.start();
    await settled;
    const rejected = harness.events().find(ofType('outbox.rejected', 'k-bad'));
    expect(rejected?.data).toEqual({
      key: 'k-bad',
      tool: 'write_a',
      reason: 'HTTP 422 no such channel',
    });
    expect(harness.proxy.outbox?.dead()).toMatchObject([
      { key: 'k-bad', tool: 'write_a', reason: 'HTTP 422 no such channel' },
    ]);
    expect(harness.proxy.outbox?.dead()[0]?.attempts).toBeGreaterThanOrEqual(1);
    expect(upstream.effects.get('good')).toBe(1);

    upstream.refuse = undefined;
    const delivered = eventsSeen(harness, ofType('outbox.delivered', 'k-bad'));
    expect(harness.proxy.outbox?.retry('k-bad')).toMatchObject({
      kind: 'requeued',
      entry: { key: 'k-bad', attempts: 0 },
    });
    await delivered;
    expect(upstream.effects.get('bad')).toBe(1);
    expect(harness.proxy.outbox?.counts()).toEqual({ pending: 0, dead: 0 });
    // Delivered now: nothing left to retry or drop, and no throw either.
    expect(harness.proxy.outbox?.retry('k-bad')).toBeUndefined();
    expect(harness.proxy.outbox?.drop('k-bad')).toBeUndefined();
  });

  it('dead-letters a JSON-RPC error and an isError result with their messages', async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, { path: join(await tempDir(), 'o.db') });
    await outage(harness, upstream);
    await call(harness.agent, 'write_a', { writeId: 'e', idempotencyKey: 'k-e' });
    await call(harness.agent, 'write_b', { writeId: 't', idempotencyKey: 'k-t' });
    upstream.fail = (seen) => (seen.args.writeId === 'e' ? 'error' : 'tool_error');
    const rejected = eventsSeen(harness, ofType('outbox.rejected'), 2);
    await upstream.start();
    await rejected;
    const reasons = Object.fromEntries(harness.proxy.outbox!.dead().map((d) => [d.key, d.reason]));
    expect(reasons).toEqual({
      'k-e': 'JSON-RPC error -32602: MCP error -32602: the fixture rejects write_a',
      'k-t': 'tool error: write_b failed on purpose',
    });
  });

  it('retries a 5xx later and delivers once the target recovers', async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, { path: join(await tempDir(), 'o.db') });
    await outage(harness, upstream);
    await call(harness.agent, 'write_a', { writeId: 'x', idempotencyKey: 'k-x' });
    let refusals = 0;
    upstream.refuse = () => (++refusals <= 2 ? { status: 500, text: 'busy' } : undefined);
    const delivered = eventsSeen(harness, ofType('outbox.delivered', 'k-x'));
    await upstream.start();
    await delivered;
    expect(refusals).toBe(3);
    expect(upstream.effects.get('x')).toBe(1);
  });

  it('refreshes an expired token mid-drain and completes the drain with the new one', async () => {
    const upstream = await writeUpstream();
    upstream.token = 'old';
    const live = { token: 'old' };
    let refreshes = 0;
    const harness = await proxyWithOutbox(
      upstream,
      { path: join(await tempDir(), 'o.db') },
      {
        upstream: {
          url: upstream.url,
          getToken: () => live.token,
          refreshToken: () => {
            refreshes += 1;
            live.token = 'new';
          },
        },
      },
    );
    await outage(harness, upstream);
    for (let i = 0; i < 20; i++) await call(harness.agent, 'write_a', { writeId: `t${i}` });
    // The token expires after the tenth delivery, while the session stays up.
    const delivered = eventsSeen(harness, ofType('outbox.delivered'), 20);
    const expire = upstream
      .until(() => upstream.effects.size >= 10)
      .then(() => (upstream.token = 'new'));
    await upstream.start();
    await expire;
    await delivered;
    expect(refreshes).toBe(1);
    expect(upstream.effects.size).toBe(20);
    expect(upstream.authorizations).toContain('Bearer new');
    expect(harness.proxy.outbox?.counts()).toEqual({ pending: 0, dead: 0 });
  });

  it('fails the call with -32002 saying why it could not be queued when the outbox is full', async () => {
    const upstream = await writeUpstream();
    const harness = await proxyWithOutbox(upstream, {
      path: join(await tempDir(), 'o.db'),
      maxBytes: 16 * 1024,
    });
    await outage(harness, upstream);
    const big = 'x'.repeat(2000);
    let error: unknown;
    for (let i = 0; i < 50 && error === undefined; i++) {
      error = await call(harness.agent, 'write_a', { writeId: `f${i}`, pad: big }).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32002);
    expect((error as McpError).message).toMatch(
      /upstream unreachable: .*could not be queued: .*the outbox is full/,
    );
    const queued = harness.events().filter(ofType('outbox.enqueued')).length;
    expect(harness.proxy.outbox?.counts().pending).toBe(queued);
    const failed = harness
      .events()
      .filter((e) => e.type === 'toolCall.result')
      .at(-1);
    expect(failed?.data).toMatchObject({ outcome: 'failed' });
    expect((failed?.data as { reason?: string }).reason).toMatch(/could not be queued/);
  });

  it('fails the call with a clear error when the outbox file is read-only', async () => {
    const upstream = await writeUpstream();
    const path = join(await tempDir(), 'o.db');
    openOutbox(path).close();
    const store = openOutbox(path, { readonly: true });
    onCleanup(() => Promise.resolve(store.close()));
    const harness = await proxyWithOutbox(upstream, { store });
    await outage(harness, upstream);
    const error = await call(harness.agent, 'write_a', { writeId: 'r' }).catch((e: unknown) => e);
    expect((error as McpError).code).toBe(-32002);
    expect((error as McpError).message).toMatch(/could not be queued: .*read-only/);
    expect(harness.events().filter(ofType('outbox.enqueued'))).toHaveLength(0);
  });

  it('refuses outbox together with onUnreachable', async () => {
    const tracker = createTracker();
    await expect(
      createProxy({
        tracker,
        upstream: { url: 'http://127.0.0.1:9/mcp' },
        outbox: { path: join(await tempDir(), 'o.db') },
        onUnreachable: () => undefined,
      }),
    ).rejects.toSatisfy((error) => error instanceof ProxyError && error.code === 'invalid_option');
  });
});
