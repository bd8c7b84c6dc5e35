// What a tracker does when its store cannot write: the commands go on and the projection stays
// true, the failure is loud, held events are written in order once the store takes them again,
// and a `log.gap` says where events were lost.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  replay,
  type EventStore,
  type StoreHealth,
  type ToolflightEvent,
  type Tracker,
} from '../src/index.js';
import { createJsonlStore, readRecording } from '../src/store/index.js';

/** A real store with a switch: while `refusing`, append throws as a full disk does. */
function switchable(store: EventStore): EventStore & { refusing: boolean } {
  const wrapped = {
    refusing: false,
    append(event: ToolflightEvent) {
      if (wrapped.refusing) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      store.append(event);
    },
    read: (fromSeq?: number) => store.read(fromSeq),
    lastSeq: () => store.lastSeq(),
    subscribe: (listener: (event: ToolflightEvent) => void) => store.subscribe(listener),
    close: () => store.close(),
  };
  return wrapped;
}

/** One request carrying one tool call, start to finish: six events. */
function lifecycle(tracker: Tracker, key = 'run-1'): void {
  const request = tracker.requestStarted(key);
  const call = tracker.toolCallStarted({ request, toolName: 'send', args: { to: '#ops' } });
  tracker.toolCallPrepared(call, { args: { to: '#ops' } });
  tracker.toolCallResult(call, { outcome: 'completed', isError: false });
  tracker.toolCallFinished(call);
  tracker.requestFinished(request, { status: 200 });
}

describe('a store that fails mid-call', () => {
  it('leaves the capture idle once the call is over (bug: busy forever after the disk filled)', async () => {
    const store = switchable(createMemoryStore());
    const tracker = createTracker({ store, onStoreError: () => undefined });
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    const call = tracker.toolCallStarted({ request, toolName: 'send' });
    tracker.toolCallPrepared(call, { args: {} });
    store.refusing = true; // the disk fills here
    expect(tracker.toolCallResult(call, { outcome: 'completed', isError: false })).toBe(true);
    expect(tracker.toolCallFinished(call)).toBe(true);
    expect(tracker.requestFinished(request, { status: 200 })).toBe(true);
    expect(tracker.capture('run-1')?.inFlight).toBe(0);
    await expect(
      tracker.waitForIdle('run-1', { timeoutMs: 100, admissionGraceMs: 0 }),
    ).resolves.toBe(true);
    // Later requests are served, not refused.
    expect(tracker.requestStarted('run-1')).toBeDefined();
  });

  it('is loud: onStoreError and errors$ hear of it once per outage, and storeHealth says so', () => {
    const store = switchable(createMemoryStore());
    const reports: [unknown, StoreHealth][] = [];
    const onErrors: string[] = [];
    const tracker = createTracker({
      store,
      onStoreError: (error, health) => reports.push([error, health]),
    });
    tracker.errors$.subscribe((failure) => onErrors.push(failure.hook));
    tracker.beginCapture('run-1');
    store.refusing = true;
    lifecycle(tracker);
    expect(reports).toHaveLength(1);
    expect(reports[0]![1]).toEqual({
      state: 'failing',
      unwritten: 0,
      lost: 0,
      error: 'ENOSPC: no space left on device, write',
    });
    expect(onErrors).toEqual(['store']);
    expect(tracker.storeHealth()).toMatchObject({ state: 'failing', unwritten: 6, lost: 0 });
  });

  it('writes the held events in order once the store takes events again: the log is whole', () => {
    const store = switchable(createMemoryStore());
    const tracker = createTracker({ store, onStoreError: () => undefined });
    tracker.beginCapture('run-1');
    store.refusing = true;
    lifecycle(tracker);
    store.refusing = false;
    lifecycle(tracker); // the next event writes the held ones first
    const written = [...store.read()];
    expect(written.map((event) => event.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(replay(written).violations).toEqual([]);
    expect(tracker.storeHealth()).toEqual({ state: 'ok', unwritten: 0, lost: 0 });
  });

  it('flushStore writes what is held without waiting for the next event', () => {
    const store = switchable(createMemoryStore());
    const tracker = createTracker({ store, onStoreError: () => undefined });
    tracker.beginCapture('run-1');
    store.refusing = true;
    lifecycle(tracker);
    expect(tracker.flushStore()).toMatchObject({ state: 'failing', unwritten: 6 });
    store.refusing = false;
    expect(tracker.flushStore()).toEqual({ state: 'ok', unwritten: 0, lost: 0 });
    expect(store.lastSeq()).toBe(7);
  });

  it('loses what is past maxUnwritten, and a log.gap stands in for it in the store', () => {
    const store = switchable(createMemoryStore());
    const reports: StoreHealth[] = [];
    const tracker = createTracker({
      store,
      maxUnwritten: 4,
      onStoreError: (_error, health) => reports.push(health),
    });
    tracker.beginCapture('run-1'); // seq 1, written
    store.refusing = true;
    lifecycle(tracker); // seq 2 to 7: 2 to 5 held, 6 and 7 lost
    lifecycle(tracker); // seq 8 to 13: lost
    expect(reports.map((health) => health.lost)).toEqual([0, 1]);
    expect(tracker.storeHealth()).toMatchObject({ state: 'failing', unwritten: 4, lost: 8 });
    store.refusing = false;
    tracker.requestStarted('run-1'); // seq 14
    const written = [...store.read()];
    expect(written.map((event) => [event.seq, event.type])).toEqual([
      [1, 'capture.begun'],
      [2, 'request.started'],
      [3, 'toolCall.started'],
      [4, 'toolCall.prepared'],
      [5, 'toolCall.result'],
      [6, 'log.gap'],
      [14, 'request.started'],
    ]);
    expect(written[5]).toMatchObject({
      data: { through: 13, reason: 'ENOSPC: no space left on device, write' },
    });
    // Live, nothing was lost: the projection followed every event.
    expect(tracker.capture('run-1')?.inFlight).toBe(1);
    expect(tracker.storeHealth()).toEqual({ state: 'ok', unwritten: 0, lost: 8 });
  });

  it('a recording with a gap replays as incomplete, naming the missing seqs', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-gap-')), 'run.jsonl');
    const store = switchable(createJsonlStore(path));
    const tracker = createTracker({ store, maxUnwritten: 0, onStoreError: () => undefined });
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    store.refusing = true;
    const call = tracker.toolCallStarted({ request, toolName: 'send' }); // seq 3, lost
    store.refusing = false;
    tracker.toolCallFinished(call); // seq 4: written after the gap
    tracker.requestFinished(request);
    store.close();
    const result = replay(readRecording(path));
    expect(result.violations.map((v) => [v.seq, v.rule])).toEqual([
      [3, 'log-gap'],
      [4, 'not-started'],
    ]);
    expect(result.violations[0]?.message).toBe(
      'seq 3 (log.gap): seq 3 to 3 were not recorded (ENOSPC: no space left on device, write): the log is incomplete',
    );
    expect(result.violations[1]?.message).toMatch(/it may have started in the gap, seq 3 to 3/);
    expect(result.snapshot.captures[0]).toMatchObject({ inFlight: 0 });
  });

  it('refuses a maxUnwritten that is not a whole number', () => {
    expect(() => createTracker({ maxUnwritten: -1 })).toThrow(
      /maxUnwritten must be a whole number/,
    );
  });
});

/** Run the fixture under a 64 KiB file size limit, as a full disk would stop it. */
async function underFileLimit(kind: 'jsonl' | 'sqlite', path: string) {
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -f 64; trap '' XFSZ; exec "$0" --import tsx test/fixtures/store/fullDisk.ts ${kind} "$1"`,
      process.execPath,
      path,
    ],
    { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as {
    thrown: number;
    inFlight: number;
    idle: boolean;
    lastSeq: number;
    health: StoreHealth;
    reports: StoreHealth[];
  };
}

describe(
  'a real file size limit reached mid-run (EFBIG, as a full disk)',
  { timeout: 60_000 },
  () => {
    for (const kind of ['jsonl', 'sqlite'] as const) {
      it(`${kind}: every command goes on, the capture goes idle, and the file holds a clean prefix`, async () => {
        const path = join(mkdtempSync(join(tmpdir(), 'toolflight-full-')), `run.${kind}`);
        const seen = await underFileLimit(kind, path);
        // 1,801 events of the run, and the idle.waited of the fixture's wait.
        expect(seen).toMatchObject({ thrown: 0, inFlight: 0, idle: true, lastSeq: 1802 });
        expect(seen.health).toMatchObject({ state: 'failing', unwritten: 50 });
        expect(seen.health.lost).toBeGreaterThan(0);
        expect(seen.health.error).toMatch(
          kind === 'jsonl' ? /EFBIG|as large as it may grow/ : /full/,
        );
        // One report when writes started failing, one when events started being lost.
        expect(seen.reports.map((health) => health.lost)).toEqual([0, 1]);
        const problems: string[] = [];
        const result = replay(readRecording(path, { onProblem: (p) => problems.push(p.message) }));
        expect(problems).toEqual([]); // no half-written line
        expect(result.violations).toEqual([]);
        expect(result.lastSeq + seen.health.unwritten + seen.health.lost).toBe(seen.lastSeq);
      });
    }
  },
);
