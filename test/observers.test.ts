import { describe, expect, it } from 'vitest';

import { createTracker, type ObserverFailure } from '../src/index.js';
import { scenario } from './support/scenario.js';

describe('observers', () => {
  it('calls every observer in order of the transitions', () => {
    const { tracker } = scenario();
    const seen: string[] = [];
    tracker.beginCapture('run-1', {
      onRequestStart: (r) => seen.push(`request start ${r.id}`),
      onRequestClassified: (r, info) => seen.push(`request classified ${info.method}`),
      onRequestFinish: (r, info) => seen.push(`request finish ${info.status}`),
      onToolCallStart: (c) => void seen.push(`call start ${c.toolName}`),
      onToolCallPrepared: (c, { previous, current }) =>
        seen.push(
          `call prepared ${JSON.stringify(previous.args)} -> ${JSON.stringify(current.args)}`,
        ),
      onToolCallResult: (c, result) => seen.push(`call result ${result.outcome}`),
      onToolCallFinish: (c, info) => seen.push(`call finish prepared=${info.prepared}`),
    });
    const request = tracker.requestStarted('run-1');
    tracker.requestClassified(request, { method: 'tools/call' });
    const call = tracker.toolCallStarted({ request, toolName: 'send', args: { a: 1 } });
    tracker.toolCallPrepared(call, { args: { a: 2 } });
    tracker.toolCallResult(call, { outcome: 'completed', isError: false });
    tracker.toolCallFinished(call);
    tracker.requestFinished(request, { status: 200 });
    expect(seen).toEqual([
      'request start rq_1',
      'request classified tools/call',
      'call start send',
      'call prepared {"a":1} -> {"a":2}',
      'call result completed',
      'call finish prepared=true',
      'request finish 200',
    ]);
  });

  it('keeps the correlation id onToolCallStart returns', () => {
    const tracker = createTracker();
    tracker.beginCapture('k', { onToolCallStart: (call) => `span-${call.id}` });
    expect(tracker.toolCallStarted({ capture: 'k', toolName: 'send' })?.correlationId).toBe(
      'span-tc_1',
    );
  });

  it('leaves the result untouched when an observer throws, and reports it', () => {
    const failures: ObserverFailure[] = [];
    const { tracker, log, store } = scenario({ onObserverError: (f) => failures.push(f) });
    tracker.beginCapture('run-1', {
      onToolCallResult: () => {
        throw new Error('dashboard is down');
      },
    });
    const call = tracker.toolCallStarted({ capture: 'run-1', toolName: 'send' });
    const accepted = tracker.toolCallResult(call, {
      outcome: 'completed',
      isError: false,
      result: { sent: true },
    });
    expect(accepted).toBe(true);
    expect(call?.outcome).toBe('completed');
    expect(tracker.toolCallFinished(call)).toBe(true);
    expect(log()).toEqual([
      'capture.begun',
      'toolCall.started tc_1',
      'toolCall.result tc_1',
      'observer.failed tc_1',
      'toolCall.finished tc_1',
    ]);
    expect(store.events()[3]).toMatchObject({
      capture: 'run-1',
      gen: 1,
      data: { hook: 'onToolCallResult', message: 'dashboard is down' },
    });
    expect(store.events()[2]?.data).toEqual({
      outcome: 'completed',
      isError: false,
      result: { sent: true },
    });
    expect(failures).toMatchObject([{ hook: 'onToolCallResult', id: 'tc_1' }]);
  });

  it('still admits the call when onToolCallStart throws', () => {
    const tracker = createTracker();
    tracker.beginCapture('k', {
      onToolCallStart: () => {
        throw new TypeError('boom');
      },
    });
    const call = tracker.toolCallStarted({ capture: 'k', toolName: 'send' });
    expect(call?.state).toBe('started');
    expect(call?.correlationId).toBeUndefined();
    expect(tracker.capture('k')?.inFlight).toBe(1);
  });

  it('turns a rejected onYield into observer.failed and still resolves true', async () => {
    const { tracker, log } = scenario();
    tracker.beginCapture('k', { onYield: () => Promise.reject(new Error('chat offline')) });
    expect(await tracker.yielded(tracker.requestStarted('k'), 'hi')).toBe(true);
    expect(log().slice(-2)).toEqual(['capture.yielded rq_1', 'observer.failed rq_1']);
  });

  it('swallows an onObserverError that throws itself', () => {
    const tracker = createTracker({
      onObserverError: () => {
        throw new Error('the reporter broke too');
      },
    });
    tracker.beginCapture('k', {
      onRequestStart: () => {
        throw new Error('observer broke');
      },
    });
    expect(tracker.requestStarted('k')?.state).toBe('started');
  });

  it('puts failures on errors$', () => {
    const tracker = createTracker();
    const hooks: string[] = [];
    tracker.errors$.subscribe((failure) => hooks.push(failure.hook));
    tracker.beginCapture('k', {
      onRequestFinish: () => {
        throw new Error('x');
      },
    });
    tracker.requestFinished(tracker.requestStarted('k'));
    expect(hooks).toEqual(['onRequestFinish']);
  });
});

describe('the event bus', () => {
  it('turns a throwing subscriber into observer.failed without stopping other subscribers', () => {
    const { tracker, log } = scenario();
    const reached: number[] = [];
    tracker.subscribe((event) => {
      if (event.type === 'request.started') throw new Error('listener broke');
    });
    tracker.subscribe((event) => reached.push(event.seq));
    tracker.beginCapture('k');
    tracker.requestStarted('k');
    expect(log()).toEqual(['capture.begun', 'request.started rq_1', 'observer.failed rq_1']);
    expect(reached).toEqual([1, 2, 3]);
  });

  it('does not loop when a subscriber also throws on observer.failed', () => {
    const failures: string[] = [];
    const { tracker, log } = scenario({ onObserverError: (f) => failures.push(f.hook) });
    tracker.subscribe(() => {
      throw new Error('always');
    });
    tracker.beginCapture('k');
    expect(log()).toEqual(['capture.begun', 'observer.failed']);
    expect(failures).toEqual(['subscriber', 'subscriber']);
  });

  it('delivers in seq order to every subscriber when a subscriber issues a command', () => {
    const { tracker } = scenario();
    const orders: number[][] = [[], []];
    tracker.subscribe((event) => {
      orders[0]!.push(event.seq);
      if (event.type === 'request.started') tracker.requestFinished(undefined);
      if (event.type === 'capture.begun') tracker.requestStarted('k');
    });
    tracker.subscribe((event) => orders[1]!.push(event.seq));
    tracker.beginCapture('k');
    expect(orders).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('stops delivering after unsubscribe, and events$ follows the same stream', () => {
    const tracker = createTracker();
    const seen: string[] = [];
    const subscription = tracker.events$.subscribe((event) => seen.push(event.type));
    tracker.beginCapture('k');
    subscription.unsubscribe();
    tracker.clearCapture('k');
    expect(seen).toEqual(['capture.begun']);
  });
});
