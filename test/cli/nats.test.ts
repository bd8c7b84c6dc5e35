// `toolflight replay|verify|inspect nats://…` against a real nats-server that two hosts shipped to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { parseNatsUrl } from '../../src/cli/natsLog.js';
import { createTracker, sequentialIds, type ToolflightEvent } from '../../src/index.js';
import { replay } from '../../src/replay/index.js';
import { readJetStream, shipToJetStream } from '../../src/nats/index.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';
import { startBin } from '../support/runBin.js';

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

let server: NatsServer;
let dir: string;
let url: string;

beforeAll(async () => {
  server = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'toolflight-cli-nats-'));
  url = `nats://127.0.0.1:${server.port}/FLEET`;
  for (const host of ['host-a', 'host-b']) {
    const shipper = await shipToJetStream({
      servers: server.url,
      host,
      spool: join(dir, host),
      stream: 'FLEET',
      log: 'log-1',
    });
    let now = host === 'host-a' ? 0 : 3;
    const tracker = createTracker({
      store: shipper.store,
      ids: sequentialIds(),
      clock: () => (now += 10),
    });
    tracker.beginCapture('run-1');
    for (let i = 0; i < 3; i++) {
      const request = tracker.requestStarted('run-1');
      const call = tracker.toolCallStarted({ request, toolName: 'send', args: { i } });
      tracker.toolCallFinished(call);
      tracker.requestFinished(request, { status: 200 });
    }
    await shipper.close();
  }
}, 30_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('toolflight verify nats://', () => {
  it('checks every host log on its own', async () => {
    const io = captureIo();
    expect(await runCli(['verify', url], io)).toBe(0);
    expect(io.stdout).toEqual([
      'host-a log-1: 13 events, seq to 13: valid',
      'host-b log-1: 13 events, seq to 13: valid',
    ]);
  });

  it('reports each source in --json, filtered by host on the server', async () => {
    const io = captureIo();
    expect(await runCli(['verify', url, '--host', 'host-b', '--json'], io)).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as {
      valid: boolean;
      sources: { host: string }[];
    };
    expect(report.valid).toBe(true);
    expect(report.sources.map((source) => source.host)).toEqual(['host-b']);
  });

  it('exits 1 with the reason for a stream that does not exist, and 2 for a bad URL', async () => {
    const missing = captureIo();
    expect(await runCli(['verify', `nats://127.0.0.1:${server.port}/NOPE`], missing)).toBe(1);
    expect(missing.stderr.join('\n')).toMatch(/the stream NOPE does not exist/);
    for (const bad of [
      'nats://127.0.0.1:1/',
      'nats://127.0.0.1:x/S',
      'nats://127.0.0.1:1/a/b',
      'nats://h:1/S?x=1',
    ]) {
      const io = captureIo();
      expect(await runCli(['verify', bad], io)).toBe(2);
      expect(io.stderr[0]).toMatch(/^toolflight verify: /);
    }
    const unreachable = captureIo();
    expect(await runCli(['verify', 'nats://user:secret@127.0.0.1:1/S'], unreachable)).toBe(1);
    expect(unreachable.stderr.join('\n')).toMatch(
      /could not connect to NATS at nats:\/\/127\.0\.0\.1:1/,
    );
    expect(unreachable.stderr.join('\n')).not.toMatch(/secret/);
  });

  it('refuses the stream flags on a file', async () => {
    const io = captureIo();
    expect(await runCli(['verify', 'x.jsonl', '--host', 'h'], io)).toBe(2);
    expect(io.stderr[0]).toMatch(/--host, --log and --prefix are for a nats:\/\/ stream/);
  });
});

describe('toolflight replay nats://', () => {
  it('prints the hosts merged in time order, with a host column', async () => {
    const io = captureIo();
    expect(await runCli(['replay', url], io)).toBe(0);
    const hosts = io.stdout
      .filter((line) => /^host-/.test(line))
      .slice(0, 4)
      .map((line) => line.split(/\s+/)[0]);
    expect(hosts).toEqual(['host-a', 'host-b', 'host-a', 'host-b']);
    expect(io.stdout.at(-1)).toMatch(
      /^host-b log-1: 13 events, seq to 13: valid; live at the end: 1 captures, 0 in flight$/,
    );
    // The machine state column, as a file's timeline shows it for the same events.
    const events: ToolflightEvent[] = [];
    for await (const shipped of readJetStream({ servers: server.url, stream: 'FLEET' }))
      if (shipped.host === 'host-a') events.push(shipped.event);
    const states: string[] = [];
    replay(events, { onStep: (step) => states.push(step.stateAfter) });
    expect(states.filter((state) => state !== '').length).toBeGreaterThan(5);
    const column = io.stdout
      .filter((line) => /^host-a +\d/.test(line))
      .map((line) => line.slice(85, 107).trim());
    expect(column).toEqual(states);
  });
});

describe('parseNatsUrl', () => {
  it('takes credentials out of the URL it shows', () => {
    expect(parseNatsUrl('nats://u:p%40ss@example:4333/S')).toEqual({
      servers: 'nats://example:4333',
      connection: { user: 'u', pass: 'p@ss' },
      stream: 'S',
      shown: 'nats://***@example:4333/S',
    });
    expect(parseNatsUrl('nats://example/S')).toMatchObject({ servers: 'nats://example:4222' });
  });
});

describe('toolflight inspect nats://', () => {
  it('serves the fleet view of the stream, live, until interrupted', async () => {
    const bin = startBin(['inspect', url]);
    const open = (await bin.waitFor(/^open (http:\/\/\S+)$/m))[1]!;
    const page = new URL(open);
    const history = new URL('/history', page);
    history.searchParams.set('token', page.searchParams.get('token')!);
    await expect
      .poll(async () => {
        const response = await fetch(history);
        return response.ok ? ((await response.text()).match(/"type"/g) ?? []).length : 0;
      })
      .toBe(26);
    bin.kill('SIGINT');
    expect((await bin.exit).code).toBe(0);
  }, 30_000);

  it('keeps following across a SIGKILL and restart of nats-server', async () => {
    const nats = await startNatsServer();
    const ship = async (host: string, calls: number): Promise<void> => {
      const shipper = await shipToJetStream({
        servers: nats.url,
        host,
        spool: join(dir, `outage-${host}`),
        stream: 'OUTAGE',
        prefix: 'outage',
      });
      const tracker = createTracker({ store: shipper.store, ids: sequentialIds() });
      tracker.beginCapture('run-1');
      for (let i = 0; i < calls; i++) tracker.requestFinished(tracker.requestStarted('run-1'));
      await shipper.close();
    };
    await ship('host-a', 2); // 5 events
    const bin = startBin(['inspect', `nats://127.0.0.1:${nats.port}/OUTAGE`, '--prefix', 'outage']);
    try {
      const open = (await bin.waitFor(/^open (http:\/\/\S+)$/m))[1]!;
      const page = new URL(open);
      const history = new URL('/history', page);
      history.searchParams.set('token', page.searchParams.get('token')!);
      const shown = async (): Promise<number> => {
        const response = await fetch(history);
        return response.ok ? ((await response.text()).match(/"type"/g) ?? []).length : 0;
      };
      await expect.poll(shown).toBe(5);
      await nats.kill('SIGKILL');
      await nats.restart();
      await ship('host-b', 3); // 7 events, shipped after the outage
      await expect.poll(shown, { timeout: 20_000 }).toBe(12);
      bin.kill('SIGINT');
      expect((await bin.exit).code).toBe(0);
    } finally {
      bin.kill('SIGKILL');
      await nats.stop();
    }
  }, 60_000);
});
