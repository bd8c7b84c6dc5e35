import { describe, expect, it } from 'vitest';

import {
  createTracker,
  ToolflightError,
  type ObserverFailure,
  type TrackerRefusal,
} from '../src/index.js';
import { scenario } from './support/scenario.js';

describe('captures', () => {
  it('begins a generation per beginCapture, numbered across keys', () => {
    const { tracker, appendedBy } = scenario();
    expect(appendedBy(() => tracker.beginCapture('run-1'))).toEqual(['capture.begun']);
    expect(tracker.beginCapture('run-2')).toBe(2);
    expect(tracker.capture('run-1')).toMatchObject({ key: 'run-1', gen: 1, inFlight: 0 });
  });

  it('does nothing for a blank or whitespace key', () => {
    const { tracker, log } = scenario();
    expect(tracker.beginCapture('')).toBeUndefined();
    expect(tracker.beginCapture('   \t')).toBeUndefined();
    expect(tracker.requestStarted('  ')).toBeUndefined();
    expect(tracker.requestStarted(undefined)).toBeUndefined();
    expect(tracker.toolCallStarted({ capture: ' ', toolName: 'send' })).toBeUndefined();
    expect(tracker.clearCapture('')).toBe(false);
    expect(log()).toEqual([]);
  });

  it('trims keys, so " run-1 " and "run-1" are one capture', () => {
    const { tracker } = scenario();
    tracker.beginCapture(' run-1 ');
    expect(tracker.requestStarted('run-1')?.capture).toBe('run-1');
  });

  it('rejects a key that is not a string with a typed error', () => {
    const tracker = createTracker();
    expect(() => tracker.beginCapture(42 as never)).toThrow(ToolflightError);
    expect(() => tracker.requestStarted({} as never)).toThrow(/capture key must be a string/);
    expect(() => tracker.capture(7 as never)).toThrow(ToolflightError);
    expect(() => tracker.idle$(null as never, { timeoutMs: 1, admissionGraceMs: 0 })).not.toThrow();
    expect(tracker.capture('  ')).toBeUndefined();
  });

  it('returns undefined for calls after clearCapture and appends nothing', () => {
    const { tracker, appendedBy } = scenario();
    tracker.beginCapture('run-1');
    expect(appendedBy(() => tracker.clearCapture('run-1'))).toEqual(['capture.cleared']);
    expect(
      appendedBy(() => {
        expect(tracker.requestStarted('run-1')).toBeUndefined();
        expect(tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' })).toBeUndefined();
        expect(tracker.clearCapture('run-1')).toBe(false);
      }),
    ).toEqual([]);
    expect(tracker.capture('run-1')).toBeUndefined();
  });

  it('refuses work on handles of a cleared capture', async () => {
    const { tracker, appendedBy } = scenario();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    const call = tracker.toolCallStarted({ request, toolName: 'send' });
    tracker.clearCapture('run-1');
    expect(
      appendedBy(() => {
        expect(tracker.requestClassified(request, { method: 'tools/call' })).toBe(false);
        expect(tracker.toolCallPrepared(call, { args: {} })).toBe(false);
        expect(tracker.toolCallResult(call, { outcome: 'completed', isError: false })).toBe(false);
        expect(tracker.toolCallFinished(call)).toBe(false);
        expect(tracker.requestFinished(request)).toBe(false);
      }),
    ).toEqual([]);
    expect(await tracker.yielded(request, 'late')).toBe(false);
  });

  it('returns undefined for an unknown capture', () => {
    const { tracker, log } = scenario();
    expect(tracker.requestStarted('nobody')).toBeUndefined();
    expect(tracker.toolCallStarted({ capture: 'nobody', toolName: 'send' })).toBeUndefined();
    expect(log()).toEqual([]);
  });
});

describe('requests', () => {
  it('runs started -> classified -> finished, one event each', () => {
    const { tracker, appendedBy } = scenario();
    tracker.beginCapture('run-1');
    let request = tracker.requestStarted('run-1');
    expect(request).toMatchObject({ kind: 'request', id: 'rq_1', state: 'started' });
    expect(
      appendedBy(() => {
        tracker.requestClassified(request, { method: 'tools/call' });
        tracker.requestFinished(request, { status: 200 });
      }),
    ).toEqual(['request.classified rq_1', 'request.finished rq_1']);
    expect(request?.state).toBe('finished');
    request = tracker.requestStarted('run-1');
    expect(request?.id).toBe('rq_2');
  });

  it('keeps the capture busy while a request body is still uploading', () => {
    const { tracker } = scenario();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    expect(tracker.capture('run-1')).toMatchObject({
      inFlight: 1,
      requests: [{ id: request?.id, state: 'started' }],
    });
  });

  it('makes a double finish a no-op', () => {
    const { tracker, appendedBy } = scenario();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    expect(tracker.requestFinished(request)).toBe(true);
    expect(appendedBy(() => expect(tracker.requestFinished(request)).toBe(false))).toEqual([]);
    expect(tracker.capture('run-1')).toMatchObject({ inFlight: 0, activityVersion: 2 });
  });

  it('classifies once: a second classify appends nothing', () => {
    const { tracker, appendedBy } = scenario();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/list' });
    expect(appendedBy(() => tracker.requestClassified(request, { method: 'x' }))).toEqual([]);
    expect(tracker.capture('run-1')?.requests[0]).toMatchObject({ method: 'tools/list' });
  });

  it('classifies implicitly when finished from started, telling the observer so', () => {
    const { tracker, appendedBy } = scenario();
    const seen: string[] = [];
    tracker.beginCapture('run-1', {
      onRequestClassified: (_request, info) => seen.push(`classified implicit=${info.implicit}`),
      onRequestFinish: (_request, info) => seen.push(`finished ${info.status}`),
    });
    const request = tracker.requestStarted('run-1');
    expect(appendedBy(() => tracker.requestFinished(request, { status: 413 }))).toEqual([
      'request.finished rq_1',
    ]);
    expect(seen).toEqual(['classified implicit=true', 'finished 413']);
  });

  it('treats an undefined handle as a no-op, as hosts pass through what requestStarted gave', () => {
    const tracker = createTracker();
    expect(tracker.requestClassified(undefined)).toBe(false);
    expect(tracker.requestFinished(undefined)).toBe(false);
    expect(tracker.toolCallFinished(undefined)).toBe(false);
  });
});

describe('tool calls', () => {
  it('runs started -> prepared -> result -> finished with one event each', () => {
    const { tracker, appendedBy, store } = scenario();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    const events = appendedBy(() => {
      const call = tracker.toolCallStarted({ request, toolName: 'send', args: { to: '#ops' } });
      tracker.toolCallPrepared(call, { args: { to: '#ops', body: 'hi' } });
      tracker.toolCallResult(call, { outcome: 'completed', isError: false, result: { ok: 1 } });
      tracker.toolCallFinished(call);
    });
    expect(events).toEqual([
      'toolCall.started tc_1',
      'toolCall.prepared tc_1',
      'toolCall.result tc_1',
      'toolCall.finished tc_1',
    ]);
    expect(store.events().at(-4)?.data).toEqual({
      request: 'rq_1',
      toolName: 'send',
      args: { to: '#ops' },
    });
    expect(store.events().at(-1)?.data).toEqual({ prepared: true });
  });

  it('finishes without prepare and remembers prepared: false', () => {
    const { tracker, store } = scenario();
    tracker.beginCapture('run-1');
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'read' });
    tracker.toolCallFinished(call);
    expect(store.events().at(-1)).toMatchObject({
      type: 'toolCall.finished',
      data: { prepared: false },
    });
  });

  it('ignores prepare after finish', () => {
    const { tracker, appendedBy } = scenario();
    tracker.beginCapture('run-1');
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send', args: {} });
    tracker.toolCallFinished(call);
    expect(
      appendedBy(() => expect(tracker.toolCallPrepared(call, { args: {} })).toBe(false)),
    ).toEqual([]);
    expect(call?.prepared).toBe(false);
  });

  it('makes a double finish a no-op', () => {
    const { tracker, appendedBy } = scenario();
    tracker.beginCapture('run-1');
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    tracker.toolCallFinished(call);
    expect(appendedBy(() => expect(tracker.toolCallFinished(call)).toBe(false))).toEqual([]);
  });

  it('records one result: a second result and a prepare after it append nothing', () => {
    const { tracker, appendedBy } = scenario();
    tracker.beginCapture('run-1');
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    tracker.toolCallResult(call, { outcome: 'blocked', isError: true, reason: 'policy' });
    expect(
      appendedBy(() => {
        tracker.toolCallResult(call, { outcome: 'completed', isError: false });
        tracker.toolCallPrepared(call, { args: { x: 1 } });
      }),
    ).toEqual([]);
    expect(call?.outcome).toBe('blocked');
  });

  it('returns undefined for a blank tool name or a finished request', () => {
    const { tracker, log } = scenario();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    expect(tracker.toolCallStarted({ request, toolName: '  ' })).toBeUndefined();
    tracker.requestFinished(request);
    expect(tracker.toolCallStarted({ request, toolName: 'send' })).toBeUndefined();
    expect(log()).toEqual(['capture.begun', 'request.started rq_1', 'request.finished rq_1']);
  });

  it('joins the request generation even when a capture key is also given', () => {
    const { tracker } = scenario();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    tracker.beginCapture('run-1');
    const call = tracker.toolCallStarted({ request, capture: 'run-1', toolName: 'send' });
    expect(call?.gen).toBe(1);
  });

  it('rejects non-object args with a typed error and appends nothing', () => {
    const { tracker, log } = scenario();
    tracker.beginCapture('run-1');
    for (const args of [[1, 2], 'text', 7, null, true]) {
      const attempt = () =>
        tracker.toolCallStarted({ capture: 'run-1', toolName: 'send', args: args as never });
      expect(attempt).toThrow(expect.objectContaining({ code: 'invalid_args' }) as Error);
    }
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    expect(() => tracker.toolCallPrepared(call, { args: [] as never })).toThrow(/JSON object/);
    expect(log()).toEqual(['capture.begun', 'toolCall.started tc_1']);
  });

  it('rejects an outcome outside the published set', () => {
    const { tracker } = scenario();
    tracker.beginCapture('run-1');
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    expect(() =>
      tracker.toolCallResult(call, { outcome: 'done' as never, isError: false }),
    ).toThrow(/outcome must be one of completed, blocked/);
    expect(call?.state).toBe('started');
  });
});

describe('handles', () => {
  it('refuses a handle from another tracker with a typed error', () => {
    const a = createTracker();
    const b = createTracker();
    a.beginCapture('k');
    b.beginCapture('k');
    const request = a.requestStarted('k');
    const call = a.toolCallStarted({ capture: 'k', toolName: 'send' });
    expect(() => b.requestFinished(request)).toThrow(
      expect.objectContaining({ code: 'foreign_handle' }) as Error,
    );
    expect(() => b.toolCallFinished(call)).toThrow(/admitted by another tracker/);
    expect(() => b.toolCallStarted({ request, toolName: 'x' })).toThrow(ToolflightError);
    expect(a.capture('k')?.inFlight).toBe(2);
  });

  it('refuses a forged handle', () => {
    const tracker = createTracker();
    const forged = { kind: 'request', id: 'rq_1', capture: 'k', gen: 1, state: 'started' } as const;
    expect(() => tracker.requestFinished(forged)).toThrow(/expected a RequestHandle/);
    const call = { ...forged, kind: 'toolCall' } as never;
    expect(() => tracker.toolCallFinished(call)).toThrow(/expected a ToolCallHandle/);
  });
});

describe('generations', () => {
  it('does not leak events across generations of a reused key', () => {
    const { tracker, store } = scenario();
    const first: string[] = [];
    const second: string[] = [];
    tracker.beginCapture('run-1', { onToolCallFinish: (call) => first.push(call.id) });
    const old = tracker.requestStarted('run-1');
    const oldCall = tracker.toolCallStarted({ request: old, toolName: 'send' });
    tracker.beginCapture('run-1', { onToolCallFinish: (call) => second.push(call.id) });
    tracker.toolCallFinished(oldCall);
    tracker.requestFinished(old);

    expect(first).toEqual(['tc_1']);
    expect(second).toEqual([]);
    expect(
      store
        .events()
        .filter((e) => e.id !== undefined)
        .every((e) => e.gen === 1),
    ).toBe(true);
    expect(tracker.capture('run-1')).toMatchObject({ gen: 2, inFlight: 0, activityVersion: 0 });
  });

  it('keeps an old generation in the projection only while it drains', () => {
    const { tracker } = scenario();
    tracker.beginCapture('run-1');
    const old = tracker.requestStarted('run-1');
    tracker.beginCapture('run-1');
    expect(tracker.snapshot().captures.map((c) => [c.gen, c.current, c.inFlight])).toEqual([
      [1, false, 1],
      [2, true, 0],
    ]);
    tracker.requestFinished(old);
    expect(tracker.snapshot().captures.map((c) => c.gen)).toEqual([2]);
  });

  it('routes a yield to the generation the request was admitted under', async () => {
    const { tracker, store } = scenario();
    const first: string[] = [];
    const second: string[] = [];
    tracker.beginCapture('run-1', { onYield: (text) => void first.push(text) });
    const old = tracker.requestStarted('run-1');
    tracker.beginCapture('run-1', { onYield: (text) => void second.push(text) });
    const fresh = tracker.requestStarted('run-1');
    expect(await tracker.yielded(old, 'from gen 1')).toBe(true);
    expect(await tracker.yielded(fresh, 'from gen 2')).toBe(true);
    expect(first).toEqual(['from gen 1']);
    expect(second).toEqual(['from gen 2']);
    expect(
      store
        .events()
        .filter((e) => e.type === 'capture.yielded')
        .map((e) => e.gen),
    ).toEqual([1, 2]);
  });

  it('waits for an async onYield before resolving', async () => {
    const tracker = createTracker();
    let delivered = false;
    let release: () => void = () => {};
    tracker.beginCapture('k', {
      onYield: () =>
        new Promise<void>((resolve) => {
          release = () => {
            delivered = true;
            resolve();
          };
        }),
    });
    const pending = tracker.yielded(tracker.requestStarted('k'), 'hello');
    expect(delivered).toBe(false);
    release();
    expect(await pending).toBe(true);
    expect(delivered).toBe(true);
  });
});

describe('note', () => {
  it('appends a fact that belongs to no machine, with the tracker seq and clock', () => {
    const { tracker, store, advance } = scenario();
    tracker.beginCapture('k');
    advance(5);
    const noted = tracker.note('upstream.changed', {
      server: 'relay',
      state: 'down',
      retryInMs: 250,
    });
    expect(noted).toEqual({
      v: 1,
      seq: 2,
      at: 5,
      type: 'upstream.changed',
      data: { server: 'relay', state: 'down', retryInMs: 250 },
    });
    expect(store.events().at(-1)).toEqual(noted);
    expect(tracker.capture('k')).toMatchObject({ inFlight: 0, activityVersion: 0 });
  });

  it('refuses lifecycle types and malformed data with a typed error, appending nothing', () => {
    const { tracker, log } = scenario();
    expect(() => tracker.note('toolCall.finished' as never, {} as never)).toThrow(
      /lifecycle events come from their commands/,
    );
    expect(() => tracker.note('catalog.listed', { server: 's' } as never)).toThrow(
      /note catalog\.listed: catalog\.listed needs data\.tools/,
    );
    expect(log()).toEqual([]);
  });
});

describe('onRefused', () => {
  const refusing = () => {
    const refusals: TrackerRefusal[] = [];
    const tracker = createTracker({ onRefused: (refusal) => refusals.push(refusal) });
    return { tracker, refusals, reasons: () => refusals.map((r) => [r.command, r.reason]) };
  };

  it('says nothing about commands that were accepted', () => {
    const { tracker, refusals } = refusing();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    const call = tracker.toolCallStarted({ request, toolName: 'send' });
    tracker.toolCallResult(call, { outcome: 'completed', isError: false });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request);
    tracker.clearCapture('run-1');
    expect(refusals).toEqual([]);
  });

  it('says why a command on a key appended nothing: blank key, unknown or cleared capture', () => {
    const { tracker, refusals, reasons } = refusing();
    tracker.beginCapture(' ');
    tracker.requestStarted('nobody');
    tracker.beginCapture('run-1');
    tracker.clearCapture('run-1');
    tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    expect(reasons()).toEqual([
      ['beginCapture', 'blank_key'],
      ['requestStarted', 'unknown_capture'],
      ['toolCallStarted', 'unknown_capture'],
    ]);
    expect(refusals[1]?.capture).toBe('nobody');
    expect(refusals[1]?.message).toMatch(
      /no capture "nobody" is active: begin it with beginCapture/,
    );
  });

  it('names the machine, the state and the event when a machine refuses (a second finish)', () => {
    const { tracker, refusals } = refusing();
    tracker.beginCapture('run-1');
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    tracker.toolCallPrepared(call, { args: {} });
    tracker.toolCallFinished(call);
    expect(tracker.toolCallFinished(call)).toBe(false);
    expect(refusals).toEqual([
      {
        command: 'toolCallFinished',
        reason: 'machine',
        capture: 'run-1',
        gen: 1,
        id: 'tc_1',
        message:
          'toolCallFinished: the toolCall machine of tc_1 in state finished (prepared) refuses FINISH',
      },
    ]);
  });

  it('tells a cleared generation, a finished request, a blank tool name and a missing handle apart', async () => {
    const { tracker, reasons } = refusing();
    tracker.beginCapture('run-1');
    const request = tracker.requestStarted('run-1');
    tracker.toolCallStarted({ request, toolName: '  ' });
    tracker.requestFinished(request);
    tracker.toolCallStarted({ request, toolName: 'send' });
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    tracker.clearCapture('run-1');
    tracker.toolCallResult(call, { outcome: 'completed', isError: false });
    await tracker.yielded(request, 'late');
    tracker.requestClassified(undefined);
    expect(reasons()).toEqual([
      ['toolCallStarted', 'blank_tool_name'],
      ['toolCallStarted', 'request_finished'],
      ['toolCallResult', 'capture_cleared'],
      ['yielded', 'capture_cleared'],
      ['requestClassified', 'no_handle'],
    ]);
  });

  it('reports its own throw on the error channel, without an event, and the command still returns', () => {
    const failures: ObserverFailure[] = [];
    const tracker = createTracker({
      onRefused: () => {
        throw new Error('hook bug');
      },
      onObserverError: (failure) => failures.push(failure),
    });
    const log: string[] = [];
    tracker.subscribe((event) => log.push(event.type));
    expect(tracker.requestStarted('nobody')).toBeUndefined();
    expect(failures).toMatchObject([{ hook: 'onRefused', error: new Error('hook bug') }]);
    expect(log).toEqual([]);
  });
});
