import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import {
  createMemoryStore,
  createTracker,
  ToolflightError,
  type EventStore,
  type ToolflightEvent,
} from '../../src/index.js';
import {
  createJsonlStore,
  createSqliteStore,
  readRecording,
  recordingFormat,
} from '../../src/store/index.js';
import { interleavedRun } from '../support/script.js';

const dir = () => mkdtempSync(join(tmpdir(), 'toolflight-store-'));
const open: EventStore[] = [];
const track = <S extends EventStore>(store: S): S => (open.push(store), store);
afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

describe('memory store', () => {
  it('keeps everything by default and reads from a seq', () => {
    const store = createMemoryStore();
    const tracker = createTracker({ store });
    interleavedRun(tracker, { captures: 2, calls: 10, seed: 1 });
    expect(store.lastSeq()).toBe(store.events().length);
    expect([...store.read(5)].map((e) => e.seq).slice(0, 2)).toEqual([5, 6]);
  });

  it('keeps only the newest events as a ring when retain is set', () => {
    const store = createMemoryStore({ retain: 3 });
    const tracker = createTracker({ store });
    tracker.beginCapture('k');
    for (let i = 0; i < 3; i++) tracker.requestFinished(tracker.requestStarted('k'));
    expect(store.events().map((e) => e.seq)).toEqual([5, 6, 7]);
    expect([...store.read(6)].map((e) => e.seq)).toEqual([6, 7]);
    expect([...store.read(1)].map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(store.lastSeq()).toBe(7);
  });

  it('gives a tracker without a store the last 1,000 events', () => {
    const tracker = createTracker();
    interleavedRun(tracker, { captures: 3, calls: 2000, seed: 2 });
    const kept = [...tracker.store.read()];
    expect(kept).toHaveLength(1_000);
    expect(kept.at(-1)?.seq).toBe(tracker.store.lastSeq());
  });

  it('tells subscribers of appends and refuses appends once closed', () => {
    const store = createMemoryStore();
    const seen: number[] = [];
    store.subscribe((event) => seen.push(event.seq));
    const tracker = createTracker({ store, onStoreError: () => undefined });
    tracker.beginCapture('k');
    store.close();
    expect(() =>
      store.append({ v: 1, seq: 2, at: 0, type: 'capture.begun', capture: 'k', gen: 2 }),
    ).toThrow(/closed/);
    // The tracker holds what a closed store refuses, and says so.
    expect(tracker.beginCapture('k')).toBe(2);
    expect(seen).toEqual([1]);
    expect(tracker.storeHealth()).toMatchObject({ state: 'failing', unwritten: 1 });
  });

  it('rejects retain below 1', () => {
    expect(() => createMemoryStore({ retain: 0 })).toThrow(/retain must be at least 1/);
  });
});

describe('a tracker and its store', () => {
  it('refuses a store that already holds events: a tracker starts a new log', () => {
    const store = createMemoryStore();
    createTracker({ store }).beginCapture('k');
    expect(() => createTracker({ store })).toThrow(/already holds events up to seq 1/);
  });

  it('goes on when the store fails, and writes the held events in seq order once it takes them', () => {
    const inner = createMemoryStore();
    let fail = true;
    const flaky: EventStore = {
      ...inner,
      append: (event) => {
        if (fail) throw new ToolflightError('io_error', 'disk is full');
        inner.append(event);
      },
    };
    const errors: string[] = [];
    const tracker = createTracker({
      store: flaky,
      onStoreError: (error) => errors.push(String(error)),
    });
    expect(tracker.beginCapture('k')).toBe(1);
    expect(tracker.capture('k')).toBeDefined();
    expect(errors).toEqual(['ToolflightError: disk is full']);
    fail = false;
    tracker.requestStarted('k');
    expect(inner.events().map((e) => e.seq)).toEqual([1, 2]);
  });
});

describe('JSONL store', () => {
  it('writes each event as it happens, one line each, readable at once', () => {
    const path = join(dir(), 'run.jsonl');
    const store = track(createJsonlStore(path));
    const tracker = createTracker({ store });
    tracker.beginCapture('run-1');
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(2);
    const request = tracker.requestStarted('run-1');
    tracker.requestFinished(request);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as ToolflightEvent).type)).toEqual([
      'capture.begun',
      'request.started',
      'request.finished',
    ]);
    expect([...store.read(2)].map((e) => e.seq)).toEqual([2, 3]);
  });

  it('never appends to a recording that holds events, unless told to overwrite', () => {
    const path = join(dir(), 'run.jsonl');
    writeFileSync(path, '{"old":true}\n');
    expect(() => createJsonlStore(path)).toThrow(/already holds events: choose another path/);
    expect(readFileSync(path, 'utf8')).toBe('{"old":true}\n');
    track(createJsonlStore(path, { mode: 'overwrite' }));
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('accepts an existing empty file', () => {
    const path = join(dir(), 'empty.jsonl');
    writeFileSync(path, '');
    const store = track(createJsonlStore(path));
    createTracker({ store }).beginCapture('k');
    expect(readFileSync(path, 'utf8')).toMatch(/^\{"v":1,"seq":1/);
  });

  it('fails with a clear error when the path cannot be created', () => {
    expect(() => createJsonlStore(join(dir(), 'no', 'such', 'dir', 'run.jsonl'))).toThrow(
      /cannot create the recording .*run\.jsonl: no such file/,
    );
    expect(() => createJsonlStore(dir())).toThrow(
      /cannot create the recording .*: (it is a directory|the file exists)/,
    );
  });

  it('reports a full disk with the file and the event instead of pretending it recorded', () => {
    const errors: string[] = [];
    const tracker = createTracker({
      store: track(createJsonlStore('/dev/full', { mode: 'overwrite' })),
      onStoreError: (error) => errors.push((error as Error).message),
    });
    expect(tracker.beginCapture('k')).toBe(1);
    expect(errors).toEqual(['cannot append event 1 to /dev/full: the disk is full']);
    expect(tracker.storeHealth()).toMatchObject({ state: 'failing', unwritten: 1 });
  });
});

describe('SQLite store', () => {
  it('keeps every event in WAL mode with seq as key, indexed by capture', () => {
    const path = join(dir(), 'run.db');
    const store = track(createSqliteStore(path));
    const tracker = createTracker({ store });
    interleavedRun(tracker, { captures: 2, calls: 20, seed: 4 });
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all();
      expect(indexes).toContainEqual({ name: 'toolflight_events_capture' });
      const count = db
        .prepare("SELECT count(*) AS n FROM toolflight_events WHERE capture = 'run-0'")
        .get();
      expect((count as { n: number }).n).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    expect([...store.read()].length).toBe(store.lastSeq());
    expect(recordingFormat(path)).toBe('sqlite');
    expect([...readRecording(path)].map((e) => e.seq)).toEqual([...store.read()].map((e) => e.seq));
  });

  it('never adds to a file that holds events, unless told to overwrite', () => {
    const path = join(dir(), 'run.db');
    const first = createSqliteStore(path);
    createTracker({ store: first }).beginCapture('k');
    first.close();
    expect(() => createSqliteStore(path)).toThrow(/already holds 1 events/);
    const second = track(createSqliteStore(path, { mode: 'overwrite' }));
    expect(second.lastSeq()).toBe(0);
    expect([...second.read()]).toEqual([]);
  });

  it('names a file that is not an SQLite database', () => {
    const path = join(dir(), 'text.db');
    writeFileSync(path, 'x'.repeat(4096));
    expect(() => createSqliteStore(path)).toThrow(/text\.db: it is not an SQLite database/);
  });

  it('reports a file locked by another process, naming it, instead of hanging', async () => {
    const path = join(dir(), 'locked.db');
    createSqliteStore(path).close();
    // Another process takes an exclusive lock and holds it until we end it.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(path)});
         db.pragma('locking_mode = EXCLUSIVE'); db.exec('BEGIN EXCLUSIVE');
         db.prepare('SELECT count(*) FROM toolflight_events').get();
         process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(holder.stdout, 'data');
      expect(() => createSqliteStore(path, { busyTimeoutMs: 50, mode: 'overwrite' })).toThrow(
        /locked\.db: another process holds a lock on it/,
      );
      expect(() => [...readRecording(path)]).toThrow(
        /locked\.db: another process holds a lock on it/,
      );
    } finally {
      holder.kill();
      await once(holder, 'exit');
    }
  });
});
