import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { createReplaySession, ToolflightError, type Tracker } from '../../src/index.js';
import {
  given,
  idleInReplay,
  loadRecording,
  recordingMatchers,
  recordRun,
} from '../../src/testing/index.js';

expect.extend(recordingMatchers);

const grace = { timeoutMs: 500, admissionGraceMs: 40 };

/** A run with a quiet gap, then a late admission: idle comes 40 ms after the last finish. */
async function lateAdmission() {
  return recordRun((tracker, { advance }) => {
    tracker.beginCapture('run-1');
    const first = tracker.requestStarted('run-1');
    advance(15);
    tracker.requestFinished(first);
    advance(10);
    const late = tracker.requestStarted('run-1');
    advance(20);
    tracker.requestFinished(late);
  });
}

describe('recordRun', () => {
  it('records on virtual time with deterministic ids: the same script, the same bytes', async () => {
    const a = await lateAdmission();
    const b = await lateAdmission();
    expect(a.jsonl()).toBe(b.jsonl());
    expect(a.events.map((e) => e.at)).toEqual([0, 0, 15, 25, 45]);
    expect(a).toBeValidLifecycle();
  });

  it('saves a recording that loads back identical', async () => {
    const recording = await lateAdmission();
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-rec-')), 'run.jsonl');
    recording.save(path);
    expect(readFileSync(path, 'utf8')).toBe(recording.jsonl());
    expect(loadRecording(path).events).toEqual(recording.events);
  });

  it('saves into a folder that does not exist yet (bug: ENOENT for a new fixtures folder)', async () => {
    const recording = await lateAdmission();
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-rec-')), 'new', 'fixtures', 'x.jsonl');
    recording.save(path);
    expect(loadRecording(path).events).toEqual(recording.events);
  });

  it('says why a recording cannot be saved, naming the file', async () => {
    const recording = await lateAdmission();
    const dir = mkdtempSync(join(tmpdir(), 'toolflight-rec-'));
    expect(() => recording.save(dir)).toThrow(
      `cannot save the recording to ${dir}: it is a directory`,
    );
  });

  it('fails loadRecording with the file and line of a bad line', () => {
    expect(() => loadRecording('test/fixtures/no-such.jsonl')).toThrow(
      /no-such\.jsonl: no such file/,
    );
  });
});

describe('idle on virtual time against a recording', () => {
  it('resolves where it did live: a full grace window after the last finish', async () => {
    const recording = await lateAdmission();
    expect(idleInReplay(recording, 'run-1', grace, { atMs: 0 })).toEqual({ idle: true, atMs: 85 });
    expect(idleInReplay(recording, 'run-1', grace, { afterSeq: 3 })).toEqual({
      idle: true,
      atMs: 85,
    });
    expect(
      idleInReplay(recording, 'run-1', { timeoutMs: 60, admissionGraceMs: 40 }, { atMs: 0 }),
    ).toEqual({
      idle: false,
      atMs: 60,
    });
  });

  it('matches the resolution time a live waiter saw during the recorded run', async () => {
    let live: number | undefined;
    const recording = await recordRun((tracker, { scheduler, advance }) => {
      tracker.beginCapture('run-1');
      tracker.idle$('run-1', grace).subscribe(() => (live = scheduler.now()));
      const first = tracker.requestStarted('run-1');
      advance(15);
      tracker.requestFinished(first);
      advance(10);
      const late = tracker.requestStarted('run-1');
      advance(20);
      tracker.requestFinished(late);
    });
    expect(live).toBe(85);
    expect(idleInReplay(recording, 'run-1', grace, { atMs: 0 }).atMs).toBe(live);
  });

  it('re-emits events at their recorded times on a replay session', async () => {
    const recording = await lateAdmission();
    const scheduler = new VirtualTimeScheduler();
    const session = createReplaySession(recording.events, { scheduler });
    const seen: [number, number][] = [];
    session.subscribe((event) => seen.push([event.seq, scheduler.now()]));
    scheduler.flush();
    expect(seen).toEqual([
      [1, 0],
      [2, 0],
      [3, 15],
      [4, 25],
      [5, 45],
    ]);
    expect(session.finished()).toBe(true);
    expect(session.result().violations).toEqual([]);
  });

  it('says when the seq to start after is not in the recording', () => {
    expect(() => idleInReplay([], 'run-1', grace, { afterSeq: 9 })).toThrow(/no event with seq 9/);
  });
});

describe('given / when / then', () => {
  const history = async () =>
    recordRun((tracker) => {
      tracker.beginCapture('run-1');
      const request = tracker.requestStarted('run-1');
      tracker.toolCallStarted({ request, toolName: 'send', args: { to: '#ops' } });
    });

  it('then events: a finish continues the given log', async () => {
    given(await history())
      .when((tracker) => tracker.toolCallFinished(tracker.toolCallHandle('tc_1')))
      .thenEvents([{ type: 'toolCall.finished', seq: 4, id: 'tc_1', data: { prepared: false } }]);
  });

  it('then nothing: a second finish is refused', async () => {
    given(await history())
      .when((tracker: Tracker) => {
        const call = tracker.toolCallHandle('tc_1');
        tracker.toolCallFinished(call);
        return call;
      })
      .thenEvents([{ type: 'toolCall.finished' }]);
    const outcome = given(await history()).when((tracker) => {
      const call = tracker.toolCallHandle('tc_1');
      tracker.toolCallFinished(call);
      return tracker.toolCallFinished(call);
    });
    expect(outcome.returned).toBe(false);
    expect(outcome.appended).toHaveLength(1);
    given(await history())
      .when((tracker) => tracker.requestStarted('unknown'))
      .thenNothing();
  });

  it('then error: bad arguments throw a typed error and append nothing', async () => {
    given(await history())
      .when((tracker) =>
        tracker.toolCallStarted({ capture: 'run-1', toolName: 'x', args: [] as never }),
      )
      .thenError(ToolflightError);
  });

  it('fails an assertion that does not hold', async () => {
    const outcome = given(await history()).when((tracker) => tracker.requestStarted('run-1'));
    expect(() => outcome.thenNothing()).toThrow();
    expect(() => outcome.thenEvents([{ type: 'toolCall.finished' }])).toThrow();
  });
});

describe('recording matchers', () => {
  it('toReplayTo compares the verified replay with a projection', async () => {
    const recording = await lateAdmission();
    expect(recording).toReplayTo({
      seq: 5,
      captures: [
        {
          key: 'run-1',
          gen: 1,
          state: 'active',
          current: true,
          inFlight: 0,
          activityVersion: 4,
          requests: [],
          toolCalls: [],
        },
      ],
    });
    expect(() => expect(recording).toReplayTo({ seq: 5, captures: [] })).toThrow(
      /replays to another projection/,
    );
  });

  it('toBeValidLifecycle lists what a broken recording breaks', async () => {
    const recording = await lateAdmission();
    const broken = [...recording.events, recording.events[4]!];
    expect(() => expect(broken).toBeValidLifecycle()).toThrow(
      /seq 5 \(request\.finished rq_2\): seq repeats/,
    );
    expect(broken).not.toBeValidLifecycle();
  });
});

describe('the README example', () => {
  it('holds: idle 40 ms after the last call, and a second finish is refused', async () => {
    const recording = await recordRun((tracker, { advance }) => {
      tracker.beginCapture('run-1');
      const request = tracker.requestStarted('run-1');
      advance(25);
      tracker.requestFinished(request);
    });
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-readme-')), 'late-call.jsonl');
    recording.save(path);
    expect(loadRecording(path)).toBeValidLifecycle();
    expect(
      idleInReplay(recording, 'run-1', { timeoutMs: 500, admissionGraceMs: 40 }, { atMs: 0 }),
    ).toEqual({
      idle: true,
      atMs: 65,
    });
    given(path)
      .when((tracker) => tracker.requestFinished(tracker.requestHandle('rq_1')))
      .thenNothing();
  });
});
