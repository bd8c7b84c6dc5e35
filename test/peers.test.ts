// better-sqlite3 is an optional peer: a host that installs toolflight without it gets the core,
// toolflight/mcp, the JSONL store and the inspector, and each feature that needs SQLite says
// which package to install. Checked in child processes where the package does not resolve.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTracker } from '../src/index.js';
import { SQLITE_PEER } from '../src/store/loadSqlite.js';
import { createSqliteStore } from '../src/store/index.js';
import { runNode } from './support/runNode.js';

const SQLITE_FEATURES = [
  'sqlite store',
  'readRecording of an SQLite file',
  'openOutbox',
  'proxy with an outbox',
];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toolflight-peers-'));
  // Written here, where better-sqlite3 is installed, for the child that has none to read.
  const tracker = createTracker({ store: createSqliteStore(join(dir, 'recording.db')) });
  tracker.beginCapture('run-1');
  tracker.store.close();
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** Run the fixture's steps with `hidden` packages unresolvable; its report, step -> result. */
async function withoutPackages(
  hidden: string,
  steps?: readonly string[],
): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await runNode(
    [
      '--import',
      'tsx',
      '--import',
      './test/fixtures/peers/hidePackages.ts',
      'test/fixtures/peers/withoutSqlite.ts',
      dir,
      ...(steps === undefined ? [] : [steps.join(',')]),
    ],
    { HIDE_PACKAGES: hidden },
  );
  if (code !== 0) throw new Error(`the fixture exited ${code}:\n${stderr}`);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('without better-sqlite3 installed', () => {
  let report: Record<string, unknown>;
  beforeAll(async () => {
    report = await withoutPackages('better-sqlite3');
  }, 60_000);

  it('tracks and replays with the core', () => {
    expect(report.core).toBe('ok');
  });

  it('serves a tool call on a loopback server (toolflight/mcp)', () => {
    expect(report.loopback).toBe('{"text":"hi"}');
  });

  it('forwards a tool call through a proxy without an outbox', () => {
    expect(report.proxy).toBe('{"text":"hi"}');
  });

  it('writes a JSONL recording, reads it back and serves it in the inspector', () => {
    expect(report['jsonl store, readRecording and inspector']).toEqual({
      events: ['capture.begun'],
      inspector: 200,
      history: true,
    });
  });

  it.each(SQLITE_FEATURES)('refuses %s with missing_peer, naming what to install', (feature) => {
    // The outbox's errors are all OutboxErrors, which are ToolflightErrors with the same code.
    const outbox = feature === 'openOutbox' || feature === 'proxy with an outbox';
    expect(report[feature]).toEqual({
      error: {
        name: outbox ? 'OutboxError' : 'ToolflightError',
        code: 'missing_peer',
        message: expect.stringMatching(
          /needs the optional peer dependency better-sqlite3, which is not installed: run `npm install better-sqlite3@\^12`/,
        ) as unknown,
      },
    });
  });
});

describe('with better-sqlite3 installed but its compiled addon not loading', () => {
  it('refuses the SQLite store and readRecording with missing_peer, saying to rebuild it', async () => {
    // `bindings` finds the addon when the first database opens: hiding it fails there.
    const steps = ['sqlite store', 'readRecording of an SQLite file'];
    const report = await withoutPackages('bindings', steps);
    for (const step of steps) {
      expect(report[step]).toEqual({
        error: {
          name: 'ToolflightError',
          code: 'missing_peer',
          message: expect.stringMatching(
            /needs the compiled addon of better-sqlite3, which did not load \(.*bindings.*\): run `npm rebuild better-sqlite3`/,
          ) as unknown,
        },
      });
    }
  }, 60_000);
});

describe('the better-sqlite3 peer in package.json', () => {
  it('is an optional peer, with the range the error names, and a devDependency only', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as Record<
      string,
      Record<string, unknown> | undefined
    >;
    expect(pkg.peerDependencies?.[SQLITE_PEER.name]).toBe(SQLITE_PEER.range);
    expect(pkg.peerDependenciesMeta?.[SQLITE_PEER.name]).toEqual({ optional: true });
    expect(pkg.dependencies?.[SQLITE_PEER.name]).toBeUndefined();
    expect(pkg.devDependencies?.[SQLITE_PEER.name]).toBeDefined();
  });
});
