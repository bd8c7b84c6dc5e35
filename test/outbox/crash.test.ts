// kill -9 of a process running a proxy with an outbox, at random points during enqueue and
// during delivery, then restart: every write answered "queued" takes effect exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openOutbox } from '../../src/mcp/index.js';
import { prng } from '../support/script.js';
import { startWriteUpstream, type WriteUpstream } from '../fixtures/outbox/writeUpstream.js';
import { agentTransport } from '../proxy/support.js';
import { onCleanup, tempDir } from './support.js';

const ROUNDS = 24;
const BATCH = 8;
const root = fileURLToPath(new URL('../..', import.meta.url));
// Bundled once (dependencies stay external): a child then starts in a third of tsx's time.
const bundleDir = join(root, 'test-output', `outbox-crash-${process.pid}`);
const childScript = join(bundleDir, 'proxyChild.mjs');

beforeAll(async () => {
  await mkdir(bundleDir, { recursive: true });
  await build({
    entryPoints: [join(root, 'test/fixtures/outbox/proxyChild.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: childScript,
    logLevel: 'warning',
  });
});
afterAll(() => rm(bundleDir, { recursive: true, force: true }));

interface Line {
  readonly url?: string;
  readonly secret?: string;
  readonly type?: string;
  readonly pending: number;
}

interface Child {
  readonly process: ChildProcess;
  readonly ready: Line;
  /** Resolves with the first line (now or later) that matches. */
  readonly line: (match: (line: Line) => boolean) => Promise<Line>;
  readonly kill9: () => Promise<void>;
}

async function startChild(outbox: string, upstream: WriteUpstream): Promise<Child> {
  const child = spawn(process.execPath, [childScript, outbox, upstream.url], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  const lines: Line[] = [];
  const waiters = new Set<{ match: (line: Line) => boolean; resolve: (line: Line) => void }>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  const line = (match: (line: Line) => boolean) =>
    new Promise<Line>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen) return resolve(seen);
      waiters.add({ match, resolve });
      void exited.then(() => reject(new Error(`the child exited: ${stderr}`)));
    });
  const kill9 = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  onCleanup(kill9);
  const ready = await line((l) => l.url !== undefined);
  return { process: child, ready, line, kill9 };
}

async function agentOf(child: Child): Promise<Client> {
  const client = new Client({ name: 'crash-agent', version: '1' });
  await client.connect(agentTransport(child.ready.url!, child.ready.secret!));
  return client;
}

describe('the outbox across kill -9', { timeout: 90_000 }, () => {
  it('delivers every write answered "queued" exactly once, whatever moment the process dies', async () => {
    const seed = Number(process.env.OUTBOX_CRASH_SEED ?? Date.now() % 2 ** 31);
    const random = prng(seed);
    const path = join(await tempDir(), 'outbox.db');
    const upstream = await startWriteUpstream();
    onCleanup(() => upstream.stop());
    const acked = new Set<string>();
    const sent: string[] = [];
    const story: string[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          // Enqueue: the upstream is down; the process dies after `k` answers, calls in flight.
          await upstream.stop();
          const child = await startChild(path, upstream);
          const agent = await agentOf(child);
          const k = Math.floor(random() * BATCH);
          story.push(`round ${round}: enqueue, kill after ${k} answers`);
          let answered = 0;
          if (k === 0) void child.kill9();
          const calls = Array.from({ length: BATCH }, (_, i) => {
            const writeId = `r${round}-${i}`;
            sent.push(writeId);
            const args = i % 2 === 0 ? { writeId, idempotencyKey: `key-${writeId}` } : { writeId };
            return agent
              .callTool({ name: i % 3 === 0 ? 'write_b' : 'write_a', arguments: args }, undefined, {
                timeout: 10_000,
              })
              .then((result) => {
                const queued = (result.structuredContent as { queued?: boolean } | undefined)
                  ?.queued;
                if (queued === true) acked.add(writeId);
                if (++answered === k) void child.kill9();
              })
              .catch(() => undefined);
          });
          await Promise.all(calls);
          await child.kill9();
          await agent.close().catch(() => undefined);
        } else {
          // Delivery: the upstream is up; the process dies after `k` more deliveries arrived.
          await upstream.start();
          const arrived = () => [...upstream.deliveries.values()].reduce((a, b) => a + b, 0);
          const before = arrived();
          const k = Math.floor(random() * 6);
          story.push(`round ${round}: delivery, kill after ${k} deliveries`);
          const child = await startChild(path, upstream);
          await Promise.race([
            upstream.until(() => arrived() >= before + k),
            child.line((line) => line.pending === 0),
          ]);
          await child.kill9();
        }
      }
      // Recovery: one last process with the upstream up drains what is left.
      await upstream.start();
      const child = await startChild(path, upstream);
      await child.line((line) => line.pending === 0);
      await upstream.until(() => [...acked].every((id) => upstream.effects.get(id) === 1));
      await child.kill9();

      for (const id of acked) expect(upstream.effects.get(id), id).toBe(1);
      for (const id of sent) expect(upstream.effects.get(id) ?? 0, id).toBeLessThanOrEqual(1);
      const outbox = openOutbox(path);
      expect(outbox.counts()).toEqual({ pending: 0, dead: 0 });
      outbox.close();
      expect(acked.size).toBeGreaterThan(0);
    } catch (error) {
      throw new Error(
        `crash test failed with OUTBOX_CRASH_SEED=${seed}\n${story.join('\n')}\n${String(error)}`,
        { cause: error },
      );
    }
  });
});
