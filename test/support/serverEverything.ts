// `@modelcontextprotocol/server-everything`, the MCP org's reference server, as it ships: its
// entry point, and its Streamable HTTP mode started on a free port of 127.0.0.1.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';

import { freePort } from './freePort.js';

/** The server's entry point (`mcp-server-everything`). */
export const EVERYTHING_BIN = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);

/** `mcp-server-everything streamableHttp` on a free port, once it says it listens. */
export async function startHttpEverything(): Promise<{
  url: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
}> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_BIN, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.resume();
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes(`listening on port ${port}`)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`server-everything exited with ${code} before listening:\n${stderr}`)),
    );
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}
