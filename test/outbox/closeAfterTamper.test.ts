// Regression: SIGBUS on close. With the outbox's files made immutable (or its -shm truncated)
// under a running proxy, SQLite's mmap'd WAL index faulted: at the next write, or in the
// checkpoint of `proxy.close()`, killing the process (exit 135). The outbox now keeps its WAL
// index in memory, so a tampered file fails a write with an error, and close exits cleanly.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import { agentTransport } from '../proxy/support.js';
import { onCleanup, tempDir, writeUpstream } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `chattr +i` needs root and a filesystem that supports it (ext4, xfs, btrfs). */
async function canChattr(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const probe = join(await tempDir(), 'probe');
  writeFileSync(probe, '');
  try {
    execFileSync('chattr', ['+i', probe], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const immutable = await canChattr();

interface ProxyProcess {
  readonly agent: Client;
  /** SIGTERM: the fixture then runs `proxy.close()` and exits 0. How it ended. */
  readonly stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The crash test's proxy fixture in a child process, with an upstream that is down. */
async function proxyProcess(path: string): Promise<ProxyProcess> {
  const upstream = await writeUpstream();
  await upstream.stop();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/outbox/proxyChild.ts', path, upstream.url],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  type Ready = { url: string; secret: string };
  const ready = await new Promise<Ready>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) =>
      resolve(JSON.parse(line) as Ready),
    );
    void exited.then(() => reject(new Error(`the proxy process exited: ${stderr}`)));
  });
  const agent = new Client({ name: 'tamper-agent', version: '1' });
  await agent.connect(agentTransport(ready.url, ready.secret));
  return {
    agent,
    async stop() {
      await agent.close().catch(() => undefined);
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      return { code, signal };
    },
  };
}

const write = (agent: Client, writeId: string) =>
  agent.callTool({ name: 'write_a', arguments: { writeId } }).then(
    (result) => (result as CallToolResult).structuredContent,
    (error: unknown) => error,
  );

describe('closing a proxy whose outbox files were tampered with', { timeout: 60_000 }, () => {
  it('keeps queuing and exits 0 on close when the -shm file is truncated', async () => {
    const path = join(await tempDir(), 'outbox.db');
    const proxy = await proxyProcess(path);
    expect(await write(proxy.agent, 'w1')).toMatchObject({ queued: true });
    // The WAL index lives in memory: there is no -shm to fault on (a truncated one did).
    const shm = `${path}-shm`;
    const hadShm = existsSync(shm);
    if (hadShm) truncateSync(shm, 0);
    expect(await write(proxy.agent, 'w2')).toMatchObject({ queued: true });
    expect(await proxy.stop()).toEqual({ code: 0, signal: null });
    expect(hadShm).toBe(false);
  });

  it.runIf(immutable)(
    'refuses to queue with -32002 and exits 0 on close when the files are made immutable (chattr +i)',
    async () => {
      const path = join(await tempDir(), 'outbox.db');
      const files = [path, `${path}-wal`, `${path}-shm`];
      const proxy = await proxyProcess(path);
      expect(await write(proxy.agent, 'w1')).toMatchObject({ queued: true });
      const present = files.filter((file) => existsSync(file));
      execFileSync('chattr', ['+i', ...present]);
      onCleanup(() => Promise.resolve(execFileSync('chattr', ['-i', ...present])));
      const refused = await write(proxy.agent, 'w2');
      expect(refused).toBeInstanceOf(McpError);
      expect((refused as McpError).code).toBe(-32002);
      expect((refused as McpError).message).toMatch(
        /could not be queued: .*the disk refused the write .*not read-only, immutable/,
      );
      expect(await proxy.stop()).toEqual({ code: 0, signal: null });
    },
  );
});
