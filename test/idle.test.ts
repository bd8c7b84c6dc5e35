import { VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';

import {
  createTracker,
  DEFAULT_IDLE_OPTIONS,
  ToolflightError,
  type Tracker,
} from '../src/index.js';

const seedDefaults = { timeoutMs: 5000, admissionGraceMs: 250 };

/** Run a marble test with a tracker whose clock and timers are the test scheduler's. */
function marbles(
  body: (helpers: {
    tracker: Tracker;
    at: (ms: number, command: () => void) => void;
    expectObservable: TestScheduler['expectObservable'];
  }) => void,
): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run(({ expectObservable }) => {
    const tracker = createTracker({ scheduler });
    const at = (ms: number, command: () => void) => void scheduler.schedule(command, ms);
    body({ tracker, at, expectObservable });
  });
}

describe('idle$', () => {
  it('is true at once for an unknown capture', () => {
    marbles(({ tracker, expectObservable }) => {
      expectObservable(tracker.idle$('nobody', seedDefaults)).toBe('(t|)', { t: true });
    });
  });

  it('is true as soon as nothing is in flight when the grace is 0', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('k');
      const request = tracker.requestStarted('k');
      at(30, () => tracker.requestFinished(request));
      expectObservable(tracker.idle$('k', { timeoutMs: 500, admissionGraceMs: 0 })).toBe(
        '30ms (t|)',
        { t: true },
      );
    });
  });

  it('resolves true after a full quiet grace window', () => {
    marbles(({ tracker, expectObservable }) => {
      tracker.beginCapture('k');
      expectObservable(tracker.idle$('k', { timeoutMs: 500, admissionGraceMs: 40 })).toBe(
        '40ms (t|)',
        { t: true },
      );
    });
  });

  it('restarts the quiet window on an admission 10 ms into a 40 ms grace, and still resolves true within 500 ms', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('k');
      at(10, () => {
        const request = tracker.requestStarted('k');
        at(20, () => tracker.requestFinished(request));
      });
      // Busy from 10 to 30; then a full 40 ms window from the finish.
      expectObservable(tracker.idle$('k', { timeoutMs: 500, admissionGraceMs: 40 })).toBe(
        '70ms (t|)',
        { t: true },
      );
    });
  });

  it('stays busy while a request body is still uploading, until the timeout says false', () => {
    marbles(({ tracker, expectObservable }) => {
      tracker.beginCapture('k');
      tracker.requestStarted('k');
      expectObservable(tracker.idle$('k', { timeoutMs: 100, admissionGraceMs: 10 })).toBe(
        '100ms (f|)',
        { f: false },
      );
    });
  });

  it('returns false when the timeout comes before the grace window fits', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('k');
      const request = tracker.requestStarted('k');
      at(80, () => tracker.requestFinished(request));
      // At 80, only 20 ms remain for a 40 ms window: false at the deadline, not true at 120.
      expectObservable(tracker.idle$('k', { timeoutMs: 100, admissionGraceMs: 40 })).toBe(
        '100ms (f|)',
        { f: false },
      );
    });
  });

  it('is true when the grace window ends exactly at the deadline', () => {
    marbles(({ tracker, expectObservable }) => {
      tracker.beginCapture('k');
      expectObservable(tracker.idle$('k', { timeoutMs: 40, admissionGraceMs: 40 })).toBe(
        '40ms (t|)',
        { t: true },
      );
    });
  });

  it('is false at once with a zero timeout, even for a quiet capture', () => {
    marbles(({ tracker, expectObservable }) => {
      tracker.beginCapture('k');
      expectObservable(tracker.idle$('k', { timeoutMs: 0, admissionGraceMs: 0 })).toBe('(f|)', {
        f: false,
      });
    });
  });

  it('wakes a waiter with true when the capture is cleared', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('k');
      tracker.requestStarted('k');
      at(25, () => tracker.clearCapture('k'));
      expectObservable(tracker.idle$('k', seedDefaults)).toBe('25ms (t|)', { t: true });
    });
  });

  it('wakes a waiter with true when its key begins a new generation', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('k');
      tracker.requestStarted('k');
      at(15, () => tracker.beginCapture('k'));
      expectObservable(tracker.idle$('k', seedDefaults)).toBe('15ms (t|)', { t: true });
    });
  });

  it('wakes a waiter whose generation has drained when its key is begun again (bug: it resolved false at the timeout)', () => {
    // Nothing in flight: the old generation leaves the projection the moment its key is begun
    // again, and the wait used to look it up there, find nothing, and sleep until its timeout.
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('c');
      at(45, () => tracker.beginCapture('c'));
      expectObservable(tracker.idle$('c', { timeoutMs: 100, admissionGraceMs: 250 })).toBe(
        '45ms (t|)',
        { t: true },
      );
    });
  });

  it('wakes a waiter whose generation drained earlier when its key is begun again', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('c');
      const request = tracker.requestStarted('c');
      at(10, () => tracker.requestFinished(request));
      at(45, () => tracker.beginCapture('c'));
      expectObservable(tracker.idle$('c', { timeoutMs: 100, admissionGraceMs: 250 })).toBe(
        '45ms (t|)',
        { t: true },
      );
    });
  });

  it('is not woken when another key is begun', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('c');
      at(45, () => tracker.beginCapture('d'));
      expectObservable(tracker.idle$('c', { timeoutMs: 100, admissionGraceMs: 250 })).toBe(
        '100ms (f|)',
        { f: false },
      );
    });
  });

  it('is not woken by another capture or by classify, prepare and result', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('k');
      tracker.beginCapture('other');
      const call = tracker.toolCallStarted({ capture: 'k', toolName: 'send' });
      at(5, () => tracker.requestStarted('other'));
      at(10, () => tracker.toolCallPrepared(call, { args: {} }));
      at(20, () => tracker.toolCallResult(call, { outcome: 'completed', isError: false }));
      at(30, () => tracker.toolCallFinished(call));
      expectObservable(tracker.idle$('k', { timeoutMs: 500, admissionGraceMs: 50 })).toBe(
        '80ms (t|)',
        { t: true },
      );
    });
  });

  it('treats activity of a drained old generation as none of the new one', () => {
    marbles(({ tracker, at, expectObservable }) => {
      tracker.beginCapture('k');
      const old = tracker.requestStarted('k');
      tracker.beginCapture('k');
      at(10, () => tracker.requestFinished(old));
      expectObservable(tracker.idle$('k', { timeoutMs: 500, admissionGraceMs: 50 })).toBe(
        '50ms (t|)',
        { t: true },
      );
    });
  });
});

describe('waitForIdle', () => {
  it('resolves on virtual time with the seed defaults, without real waiting', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({ scheduler });
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    scheduler.schedule(() => tracker.requestFinished(request), 1200);
    const idle = tracker.waitForIdle('run-1', seedDefaults);
    scheduler.flush();
    await expect(idle).resolves.toBe(true);
    expect(scheduler.now()).toBe(1200 + 250);
  });

  it('notes what each wait got and after how long (idle.waited), for the idle_wait metric', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({ scheduler });
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    scheduler.schedule(() => tracker.requestFinished(request), 1200);
    const idle = tracker.waitForIdle('run-1', seedDefaults);
    scheduler.flush();
    await idle;
    tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    const stuck = tracker.waitForIdle('run-1', { timeoutMs: 700, admissionGraceMs: 0 });
    scheduler.flush();
    await stuck;
    const waits = [...tracker.store.read()].filter((event) => event.type === 'idle.waited');
    expect(
      waits.map((event) => ({ capture: event.capture, at: event.at, data: event.data })),
    ).toEqual([
      {
        capture: 'run-1',
        at: 1450,
        data: { result: 'idle', waitedMs: 1450, timeoutMs: 5000, admissionGraceMs: 250 },
      },
      {
        capture: 'run-1',
        at: 2150,
        data: { result: 'timed_out', waitedMs: 700, timeoutMs: 700, admissionGraceMs: 0 },
      },
    ]);
  });

  it('Seen: a wait on a key that is not live noted idle.waited, so a listener that waits on every event of its capture fed itself', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({ scheduler });
    tracker.beginCapture('run-1');
    let waits = 0;
    tracker.subscribe((event) => {
      if (event.capture !== 'run-1' || waits >= 50) return;
      waits++;
      void tracker.waitForIdle('run-1', { timeoutMs: 100, admissionGraceMs: 0 });
    });
    tracker.clearCapture('run-1');
    await tracker.waitForIdle('nobody');
    for (let i = 0; i < 5; i++) await Promise.resolve();
    scheduler.flush();
    expect([...tracker.store.read()].filter((e) => e.type === 'idle.waited')).toEqual([]);
    expect(waits).toBe(1);
  });

  it('Seen: a listener that waited on each idle.waited of a live capture fed itself without end', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({ scheduler });
    tracker.beginCapture('run-1');
    let waits = 0;
    tracker.subscribe((event) => {
      if (event.type !== 'idle.waited' || waits >= 50) return;
      waits++;
      void tracker.waitForIdle('run-1', { timeoutMs: 100, admissionGraceMs: 0 });
    });
    await tracker.waitForIdle('run-1', { timeoutMs: 100, admissionGraceMs: 0 });
    for (let i = 0; i < 50; i++) await Promise.resolve();
    scheduler.flush();
    expect([...tracker.store.read()].filter((e) => e.type === 'idle.waited')).toHaveLength(1);
    expect(waits).toBe(1);
  });

  it('Seen: a wait without a timeout (Infinity) reported an observer failure instead of its note', async () => {
    const scheduler = new VirtualTimeScheduler();
    const failures: unknown[] = [];
    const tracker = createTracker({ scheduler, onObserverError: (f) => failures.push(f) });
    tracker.beginCapture('run-1');
    const idle = tracker.waitForIdle('run-1', { timeoutMs: Infinity, admissionGraceMs: 10 });
    scheduler.flush();
    expect(await idle).toBe(true);
    const waited = [...tracker.store.read()].filter((e) => e.type === 'idle.waited');
    expect(waited.map((e) => e.data)).toEqual([
      { result: 'idle', waitedMs: 10, admissionGraceMs: 10 },
    ]);
    expect(failures).toEqual([]);
  });

  it('Seen: bad options rejected the promise instead of throwing at the call', () => {
    const tracker = createTracker();
    tracker.beginCapture('run-1');
    expect(() => tracker.waitForIdle('run-1', { timeoutMs: '5s' as never })).toThrow(
      ToolflightError,
    );
  });

  it('resolves false when the agent never finishes, at the timeout', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({ scheduler });
    tracker.beginCapture('run-1');
    tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    const idle = tracker.waitForIdle('run-1', seedDefaults);
    scheduler.flush();
    await expect(idle).resolves.toBe(false);
    expect(scheduler.now()).toBe(5000);
  });

  it('defaults to what an agent gateway uses: 5 s timeout, 250 ms grace (bug: a TypeError without options)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({ scheduler });
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    scheduler.schedule(() => tracker.requestFinished(request), 1200);
    const idle = tracker.waitForIdle('run-1');
    scheduler.flush();
    await expect(idle).resolves.toBe(true);
    expect(scheduler.now()).toBe(1200 + DEFAULT_IDLE_OPTIONS.admissionGraceMs);
    expect(DEFAULT_IDLE_OPTIONS).toEqual({ timeoutMs: 5000, admissionGraceMs: 250 });
  });

  it('takes the missing option from the defaults', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({ scheduler });
    tracker.beginCapture('run-1');
    tracker.requestStarted('run-1');
    const idle = tracker.waitForIdle('run-1', { timeoutMs: 700 });
    scheduler.flush();
    await expect(idle).resolves.toBe(false);
    expect(scheduler.now()).toBe(700);
  });

  it('refuses options that are not numbers with a typed error', () => {
    const tracker = createTracker();
    tracker.beginCapture('k');
    const bad = () => tracker.idle$('k', { timeoutMs: '5s' as never });
    expect(bad).toThrow(ToolflightError);
    expect(bad).toThrow('timeoutMs must be a number of milliseconds, got "5s"');
  });

  it('treats negative options as 0', async () => {
    const scheduler = new VirtualTimeScheduler();
    const tracker = createTracker({ scheduler });
    tracker.beginCapture('k');
    const idle = tracker.waitForIdle('k', { timeoutMs: 10, admissionGraceMs: -5 });
    scheduler.flush();
    await expect(idle).resolves.toBe(true);
    expect(scheduler.now()).toBe(0);
  });
});
