import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import type { ProjectionSnapshot } from '../../src/index.js';
import {
  idleInReplay,
  loadRecording,
  recordingMatchers,
  recordRun,
} from '../../src/testing/index.js';
import { scenarios } from '../fixtures/scenarios.js';

expect.extend(recordingMatchers);

const fixture = (name: string, ext: string) =>
  new URL(`../fixtures/${name}.${ext}`, import.meta.url).pathname;

describe('committed recordings', () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    describe(name, () => {
      it('is exactly what a fresh run of its scenario records (npm run fixtures)', async () => {
        const fresh = await recordRun(scenario);
        expect(readFileSync(fixture(name, 'jsonl'), 'utf8')).toBe(fresh.jsonl());
      });

      it('is a valid lifecycle and replays to its committed projection', () => {
        const recording = loadRecording(fixture(name, 'jsonl'));
        const projection = JSON.parse(
          readFileSync(fixture(name, 'projection.json'), 'utf8'),
        ) as ProjectionSnapshot;
        expect(recording).toBeValidLifecycle();
        expect(recording).toReplayTo(projection);
      });
    });
  }

  it('admission during grace: a host waiting from the start sees idle 40 ms after the late call', () => {
    const recording = fixture('admission-during-grace', 'jsonl');
    expect(
      idleInReplay(recording, 'run-1', { timeoutMs: 500, admissionGraceMs: 40 }, { atMs: 0 }),
    ).toEqual({
      idle: true,
      atMs: 85,
    });
  });

  it('cleared mid-call: a waiter is released when the capture is cleared', () => {
    const recording = fixture('cleared-mid-call', 'jsonl');
    expect(
      idleInReplay(recording, 'run-1', { timeoutMs: 5000, admissionGraceMs: 250 }, { atMs: 10 }),
    ).toEqual({
      idle: true,
      atMs: 55,
    });
  });

  it('observer throws: every result stands beside its observer.failed', () => {
    const { events } = loadRecording(fixture('observer-throws', 'jsonl'));
    const failed = events.filter((e) => e.type === 'observer.failed');
    expect(failed.map((e) => e.id)).toEqual(['tc_1', 'tc_2']);
    expect(events.filter((e) => e.type === 'toolCall.result').map((e) => e.data)).toMatchObject([
      { outcome: 'failed' },
      { outcome: 'completed' },
    ]);
  });
});
