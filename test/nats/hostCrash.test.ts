// A host process SIGKILLed at random points and started again on the same spool folder, 20
// times: every whole line of every log's spool file ends up in the stream exactly once, in order.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { readJsonl } from '../../src/store/index.js';
import { readJetStream } from '../../src/nats/index.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

const ROOT = new URL('../..', import.meta.url);
const NAMES = { stream: 'CRASH', prefix: 'crash' };

let server: NatsServer;
let dir: string;

beforeAll(async () => {
  server = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'toolflight-crash-'));
}, 30_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Start the host fixture; resolves with the child once it printed its log id. */
async function host(spool: string, mode: 'run' | 'finish', untilCalls = 0) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/nats/fixtures/host.ts',
      server.url,
      spool,
      NAMES.stream,
      NAMES.prefix,
      mode,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  let log: string | undefined;
  const reached = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      log ??= /^log (\S+)$/m.exec(out)?.[1];
      const tracked = [...out.matchAll(/^tracked (\d+)$/gm)].pop();
      if (
        log &&
        (mode === 'finish' ? out.includes('done\n') : Number(tracked?.[1] ?? 0) >= untilCalls)
      ) {
        resolve();
      }
      if (out.length > 100_000) out = out.slice(-1000);
    });
    child.once('exit', (code) =>
      mode === 'finish' && code === 0 ? resolve() : reject(new Error(`host exited ${code}`)),
    );
  });
  await reached;
  return { child, log: log! };
}

it('loses and repeats nothing when the host is SIGKILLed 20 times and restarted on its spool', async () => {
  const seed = Number(process.env.TOOLFLIGHT_SEED ?? Date.now() % 100_000);
  process.stdout.write(
    `host SIGKILL rounds: seed ${seed} (TOOLFLIGHT_SEED=${seed} repeats them)\n`,
  );
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const spool = join(dir, 'spool');
  const expected = new Map<string, number>();
  for (let round = 0; round < 20; round++) {
    const { child, log } = await host(spool, 'run', 5 + Math.floor(random() * 400));
    child.kill('SIGKILL');
    await once(child, 'exit');
    // What the killed host left on disk: its whole lines (an unfinished last one is not kept).
    let last = 0;
    const path = join(spool, `${log}.jsonl`);
    if (existsSync(path))
      for (const event of readJsonl(path, { onProblem: () => undefined })) last = event.seq;
    expected.set(log, last);
  }
  const final = await host(spool, 'finish');
  expected.set(final.log, 10 * 5 + 2);
  // The last run shipped what the killed ones left, and removed their files once shipped.
  expect(readdirSync(spool)).toEqual([]);
  const seen = new Map<string, number[]>();
  for await (const { log, event } of readJetStream({ servers: server.url, ...NAMES })) {
    const list = seen.get(log) ?? [];
    list.push(event.seq);
    seen.set(log, list);
  }
  for (const [log, last] of expected) {
    expect({ log, seqs: seen.get(log) ?? [] }).toEqual({
      log,
      seqs: Array.from({ length: last }, (_, i) => i + 1),
    });
  }
  expect([...seen.keys()].sort()).toEqual(
    [...expected.keys()].filter((log) => expected.get(log)! > 0).sort(),
  );
}, 180_000);
